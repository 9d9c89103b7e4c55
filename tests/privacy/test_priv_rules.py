"""One test per packaged rule: what it must catch and what it must leave alone."""

from __future__ import annotations

import pytest

from ccp_assets.privacy.redact import Redactor
from ccp_assets.privacy.rules import Rule, looks_random, packaged_rules, parse_rules, shannon_entropy

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GH_BODY = "R8s2T4u6V8w0X2y4Z6a8B0c2D4e6F8g0H2i4"

# rule name -> (texts it must hit, texts it must not hit)
CASES: dict[str, tuple[list[str], list[str]]] = {
    "pem_private_key": (
        ["-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----",
         "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
         "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB (truncated)",
         "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF"],
        ["-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
         "-----BEGIN CERTIFICATE-----", "store the private key in the vault"],
    ),
    "anthropic_key": (
        ["sk-ant-api03-abcDEF123_-ghiJKL456mnoPQR789stuVWX", "key: sk-ant-admin01-Zq8xW2vB7nK4mP1rT6yH3jL9",
         "ANTHROPIC_API_KEY=sk-ant-oat01-Zq8xW2vB7nK4mP1rT6yH3jL9cF5dS0aG"],
        ["sk-ant-api03-short", "use an sk-ant- key"],
    ),
    "openai_key": (
        ["sk-proj-N4b7Xc2Vz9Lk5Jh8Gf3Ds6Aq1Wp0OeRu7Ty2", "sk-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4",
         "OPENAI_API_KEY='sk-svcacct-AbCdEf0123456789GhIjKlMn'"],
        ["task-management-for-everyone-in-the-team", "sk-short", "risk-assessment-of-the-whole-feature"],
    ),
    "github_token": (
        ["ghp_" + GH_BODY, "gho_" + GH_BODY, "token ghs_" + GH_BODY,
         "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW"],
        ["ghp_short", "the ghp_ prefix marks a classic token", "github_pat_ is the new prefix"],
    ),
    "aws_access_key_id": (
        ["AKIAIOSFODNN7EXAMPLE", "id=ASIAY34FZKBOKMUTVV7A;", "AKIAQ7W3E9R2T5Y8U1I4"],
        ["AKIAIOSFODNN7EXAMPLEX", "XAKIAIOSFODNN7EXAMPLE", "AKIA keys start with AKIA", "akiaiosfodnn7example"],
    ),
    "aws_secret_access_key": (
        [f"aws_secret_access_key = {AWS_SECRET}", f'AWS_SECRET_ACCESS_KEY="{AWS_SECRET}"',
         f'{{"aws_secret_access_key": "{AWS_SECRET}"}}'],
        ["aws_secret_access_key = ${AWS_SECRET}", "set aws_secret_access_key in ~/.aws/credentials"],
    ),
    "slack_token": (
        ["xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxp-1234567890-abcdef"],
        ["xoxb-short", "xoxo-1234567890123", "a xoxb- token"],
    ),
    "jwt_loose": (
        ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImlhdCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZw",
         "Bearer-less eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."],
        ["eyJhbGciOiJIUzI1NiJ9", "a.b.c", "eyJ is base64 for {\""],
    ),
    "url_credentials": (
        ["postgres://admin:hunter22@db.internal:5432/app", "https://bob:s3cr3t@example.com/repo.git",
         "redis://:pw@cache:6379/0", "redis://:Zq8xW2vB7nK4@localhost"],
        ["https://example.com:8080/path", "http://localhost:3000/", "ssh://git@github.com/org/repo"],
    ),
    "secret_assignment": (
        ["password=Xk9#mQ2$vL7pR4wZ8n", 'api_key: "a8F3kL0pQ9zX2mN7vB4c"', "export GITHUB_TOKEN=a8F3kL0pQ9zX2mN7vB4c",
         '{"client_secret": "0f8a9b7c6d5e4f3a2b1c0d9e8f7a6b5c"}', "DB_PASSWORD => Zq8xW2vB7nK4mP1rT6yH",
         "secret: Xk#mQ$vLpRwZnTbY", "api_key=4d5611e5-241a-462a-8d15-5122611a9569", "token=9f86d081884c7d65"],
        ["password = get_password_from_vault()", "token=abc", "the token budget is 2000", "max_tokens = 4096",
         "password: ********************", "secret = aaaaaaaaaaaaaaaaaaaaaaaa",
         "const csrfToken = document.querySelector(\"meta[name='csrf-token']\")",
         "token = process.env.GITHUB_TOKEN_VALUE", "input_tokens: 123456789012345678",
         "token: claude-sonnet-4-5-20250929", "secret=src/app/services/main.py"],
    ),
    "password_assignment": (
        ["password=hunter22", "DB_PASSWORD: correcthorsebatterystaple", 'pwd = "Tr0ub4dor&3"', "--password=letmein",
         "PASSWD=s3cr3t!", "passphrase => open sesame2"],
        ["password = get_password_from_vault()", "password: ********************", "password=${DB_PASSWORD}",
         "password: settings.db_password", "password = os.environ['DB_PASSWORD']", "password: required",
         "password=<your password>", "password = None", "password_hash = bcrypt(pw)", "the password field"],
    ),
    "password_phrase": (
        ["my password is hunter2", "My GitHub password is Tr0ub4dor&3", "our wifi password: correcthorse",
         "the password for admin is letmein!"],
        ["the password is required", "what is my password policy?", "reset the password"],
    ),
    "mysql_password_flag": (
        ["mysql -u root -pS3cretPass app", "mysqldump -h db -u admin -phunter2 shop > dump.sql",
         "mariadb --user=x -pletmein"],
        ["mysql -u root -p app", "mysql -u root -p", "pip install mysql-connector -p 3"],
    ),
    "azure_connection_key": (
        ["DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + "Zq8xW2vB7nK4mP1rT6yH3jL9cF5dS0aG" * 2
         + "Zq8xW2vB7nK4mP1rT6yH3jL9cF5dS0aG12==;EndpointSuffix=core.windows.net",
         "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=a8F3kL0pQ9zX2mN7vB4c1234"],
        ["AccountKey=", "set the AccountKey in the portal", "SharedAccessKeyName=RootManageSharedAccessKey"],
    ),
    "high_entropy_token": (
        [AWS_SECRET, "secret is " + AWS_SECRET + " ok", "a8F3kL0pQ9zX2mN7vB4c/Zq8xW2vB7nK4mP1rT6yH"],
        ["4b825dc642cb6eb9a060e54bf8d69288fbee4904", "e3b0c44298fc1c149afbf4c8996fb924" * 2,
         "agent_msg_01LkKqpUD829m724o5oSeN7M", "4d5611e5-241a-462a-8d15-5122611a9569",
         "src/components/UserProfile/index.tsx", "ThisIsAVeryLongCamelCaseClassNameForTests",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    ),
    "auth_header": (
        ["Authorization: Bearer a8F3kL0pQ9zX2mN7vB4c.d9", "authorization: basic dXNlcjpwYXNzd29yZDEyMw=="],
        ["Bearer token", "a basic understanding of the codebase", "Bearer tokens expire after an hour",
         "Bearer claude-sonnet-4-5-20250929"],
    ),
    "email": (
        ["alice@example.com", "mail first.last+tag@sub.corp.example now", "<bob_99@wonderland-corp.example>"],
        ["@property", "user@localhost", "a @ b", "decorate with @functools.cache"],
    ),
    "home_path": (
        ["/home/bob/projects/x", "cd /Users/carol/Library/Caches", r"C:\Users\dave\AppData\Local",
         "C:\\\\Users\\\\dave\\\\code", "D:/Users/erin/x", "see ~/code/app/main.py", "~erin/notes.txt",
         "/root/.ssh/id_rsa", "file:///home/bob/report.html"],
        ["/usr/local/bin/python", "/etc/hosts", "a ~ b", "~5 minutes", "/var/log/syslog", "C:\\Program Files\\x"],
    ),
    "claude_project_dir": (
        ["-home-alicel-projects-secret-merger-2026", "/tmp/claude-1000/-Users-bob-code-app/tasks",
         "C--Users-bob-proj"],
        ["--home-dir /tmp", "use-home-page layout", "self-home-grown"],
    ),
}


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor.from_rules(include_login=False)


def test_every_own_rule_has_cases() -> None:
    """Our own rules; gitleaks' rules are tested with its own examples (test_priv_gitleaks.py)."""
    assert {r.name for r in packaged_rules() if not r.source.startswith("gitleaks")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_hits_positives(redactor: Redactor, name: str) -> None:
    rule = next(r for r in redactor.rules if r.name == name)
    for text in CASES[name][0]:
        result = redactor.redact(text)
        assert result.hits.get(name, 0) >= 1, (name, text, result)
        assert result.dropped == (rule.risk == "high"), (name, text)
        if rule.risk == "medium":
            assert rule.replacement in result.text


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_spares_negatives(redactor: Redactor, name: str) -> None:
    for text in CASES[name][1]:
        assert name not in redactor.redact(text).hits, (name, text)


def test_high_rules_drop_whole_span(redactor: Redactor) -> None:
    result = redactor.redact("line one is fine\nANTHROPIC_API_KEY=sk-ant-api03-" + "x1Y2z3" * 8 + "\nbye")
    assert result.dropped
    assert result.text == "[dropped: contained anthropic_key]"
    assert "line one" not in result.text


def test_medium_rules_replace_with_typed_placeholders(redactor: Redactor) -> None:
    result = redactor.redact("mail bob@corp.example about /home/bob/app/main.py and ~/x")
    assert result.text == "mail [email] about [home_path] and [home_path]"
    assert result.hits == {"email": 1, "home_path": 2}
    assert not result.dropped


def test_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)
    assert looks_random("a8F3kL0pQ9zX2mN7vB4c", 3.5)
    assert not looks_random("get_password_from_vault", 3.5)
    assert not looks_random("document.querySelector", 3.5)
    assert not looks_random("a1a1a1a1a1a1a1a1", 3.5)
    assert not looks_random("claude-sonnet-4-5-20250929", 3.5)
    assert looks_random("4d5611e5-241a-462a-8d15-5122611a9569", 3.5)  # UUID-shaped keys exist (Heroku)
    assert looks_random("9f86d081884c7d65", 3.5)  # hex keys get a lower threshold (4 bits/char at most)


def test_rules_validate() -> None:
    base = {"name": "x_rule", "kind": "regex", "pattern": "abc", "risk": "high", "replacement": "[x]"}
    assert Rule.model_validate(base).regex.search("xabcx")
    bad = [
        {**base, "pattern": "("},                                  # does not compile
        {**base, "pattern": "a*"},                                 # matches the empty string
        {**base, "kind": "entropy", "min_entropy": 3.0},           # no value group
        {**base, "kind": "entropy", "pattern": "(?P<value>abc)"},  # no min_entropy
        {**base, "min_entropy": 3.0},                              # min_entropy on a regex rule
        {**base, "risk": "low"},
        {**base, "name": "Bad Name"},
        {**base, "replacement": "free text"},
        {**base, "unknown": 1},
    ]
    for rule in bad:
        with pytest.raises(ValueError):
            Rule.model_validate(rule)


def test_parse_rules_document_and_list() -> None:
    rule = {"name": "x_rule", "pattern": "abc", "risk": "medium", "replacement": "[x]"}
    assert parse_rules([rule])[0].name == "x_rule"
    assert parse_rules({"schema": "ccp.redaction_rules.v1", "rules": [rule]})[0].kind == "regex"
    with pytest.raises(ValueError):
        parse_rules({"schema": "ccp.redaction_rules.v9", "rules": [rule]})
