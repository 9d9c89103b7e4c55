"""The secret kinds of issue 14 that once reached the aggregator or slipped past the redactor, written as a
person or a tool would put them in a prompt, plus gitleaks' own true positives; shared by the redactor's
unit tests and the end-to-end upload test. Each kind: (text to plant, core that must never be seen)."""

from __future__ import annotations

import json
import re
from pathlib import Path

GITLEAKS = json.loads((Path(__file__).parent / "data" / "gitleaks_examples.json").read_text())["rules"]

ISSUE_KINDS: dict[str, tuple[str, str]] = {
    "stripe_live": ("charge it with sk_live_51NqLyjWDarjtT1zdp7dcQx9 please", "51NqLyjWDarjtT1zdp7dcQx9"),
    "stripe_restricted": ("STRIPE_KEY=rk_live_51MzP4kQ2vX8bN3cR7tY1uI9oE", "51MzP4kQ2vX8bN3cR7tY1uI9oE"),
    "gcp_bare": ("the maps key AIzaSyD3f8Gk2LmN9pQ4rS7tU1vW5xY0zA6bC2d works", "SyD3f8Gk2LmN9pQ4rS7tU1vW5xY0zA6bC2d"),
    "aws_secret_bare": ("use u7Gx2Lq9Vb4Tz8Nk1Rw6Ys3Hd5Jf0Cm2Pa7Eo9Bi as the secret", "u7Gx2Lq9Vb4Tz8Nk1Rw6Ys3Hd5Jf0Cm2Pa7Eo9Bi"),
    "password_phrase": ("my password is Tr0ub4dor&3xyz, log in for me", "Tr0ub4dor&3xyz"),
    "gitlab_pat": ("git clone https://oauth2:glpat-Xy7zK2mQ9vB4nR8tL1wP@gitlab.example/x.git", "Xy7zK2mQ9vB4nR8tL1wP"),
    "gitlab_pat_bare": ("token glpat-Ab3dE6gH9jK2mN5pQ8sT", "Ab3dE6gH9jK2mN5pQ8sT"),
    "npm": ("//registry.npmjs.org/:_authToken=npm_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8", "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8"),
    "huggingface": ("HF_TOKEN=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", "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"),
    "slack_webhook": ("post to https://hooks.slack.com/services/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",
                      "x9Y8z7W6v5U4t3S2r1Q0p9O8"),
    "sendgrid": ("SENDGRID_API_KEY=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",
                 "wX4yZ7bC0eF3hI6kL9nO2qR5tU8wX1zA4cD7fG0jM3p"),
    "azure_account_key": ("DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey="
                          "k3J9xQ2mV8bN5cR1tY7uI4oP0aS6dF2gH8jK3lZ9xC5vB1nM7qW4eR0tY6uI2oP8aS4dF0gH6jK2lZ8xC4vB0nM6qW2eR8t"
                          "Y4uI0o==;EndpointSuffix=core.windows.net",
                          "k3J9xQ2mV8bN5cR1tY7uI4oP0aS6dF2gH8jK3lZ9xC5vB1nM7qW4eR0tY6uI2oP8aS4dF0gH6jK2lZ8xC4vB0nM6qW2eR8t"),
    "redis_url": ("REDIS_URL=redis://:Zq8xW2vB7nK4pw@cache.internal:6379/0", "Zq8xW2vB7nK4pw"),
    "mysql_flag": ("run mysql -u root -pS3cr3tPassw0rd shop < dump.sql", "S3cr3tPassw0rd"),
    "password_assignment": ("set password=correcthorsebattery in the config", "correcthorsebattery"),
    "github": ("export GH_TOKEN=ghp_R8s2T4u6V8w0X2y4Z6a8B0c2D4e6F8g0H2i4", "R8s2T4u6V8w0X2y4Z6a8B0c2D4e6F8g0H2i4"),
    "anthropic": ("ANTHROPIC_API_KEY=sk-ant-api03-Zq8xW2vB7nK4mP1rT6yH3jL9cF5dS0aGZq8xW2vB7nK4", "Zq8xW2vB7nK4mP1rT6yH3jL9cF5dS0aG"),
    "home_path": ("open /home/alicel/projects/secret-merger-2026/notes.md", "alicel"),
}


def core_of(example: str) -> str | None:
    """The distinctive part of a gitleaks example: its longest run of 12+ letters and digits with a digit
    in it (key names such as `AmazonBedrockAPIKeyShortLived_token` or `ClearTextPassword` have none,
    `1passwordToken` names a key and a mailgun `sandbox...` domain is not the secret);
    None when there is no such run (the example is then planted but not looked for)."""
    runs = sorted((r for r in re.findall(r"[A-Za-z0-9]{12,}", example)
                   if re.search("[0-9]", r) and not re.search("(?i)token|passw|secret|sandbox", r)),
                  key=len, reverse=True)
    return runs[0] if runs else None


def gitleaks_examples() -> list[tuple[str, str, str]]:
    """(rule id, example, core) for every gitleaks true positive that has a core."""
    out = []
    for rule_id, entry in sorted(GITLEAKS.items()):
        for tp in entry["tps"]:
            core = core_of(tp)
            if core:
                out.append((rule_id, tp, core))
    return out
