"""Django-free core of the document vault: envelope encryption, keyring, blob stores."""
