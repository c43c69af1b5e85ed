from sceau.core.serving import MASK, redact_url


def test_secret_path_segments_and_query_strings_are_masked():
    assert redact_url("/creances/compte/verifier/abc.DEF-123/") == (
        f"/creances/compte/verifier/{MASK}/"
    )
    assert redact_url("/oidc/retour/?code=s3cret&state=xyz") == f"/oidc/retour/?{MASK}"
    assert redact_url("/etude/dossiers/4/") == "/etude/dossiers/4/"
    assert redact_url("") == ""
