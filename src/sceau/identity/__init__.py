"""Identity: staff accounts and the access credentials printed on served acts."""
