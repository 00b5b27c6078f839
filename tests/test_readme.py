"""The README runs as written: its `bash` examples, in order, against a demo server.

Like `make run`, a fresh SQLite database is migrated and seeded with the default demo data
(200 suppliers, seed 42) and `escouting serve` runs on it (webhook worker on and http
receivers on loopback allowed, as in `make run`: the webhook example starts its own
receiver). Every ```` ```bash ```` block of README.md is taken in order (```` ```sh ````
blocks are setup and are not run), `localhost:8000` and `127.0.0.1:8000` become the test
server, `.venv/bin/escouting` becomes this interpreter's `-m app.cli`, and the blocks run as
one `bash` script under `set -euo pipefail` in a temporary directory.

`curl` is replaced by a function that fails the script when the answer's status is 400 or
more. An example that shows another status on purpose says so in a trailing comment on the
command's last line, e.g. `curl ... -H 'If-None-Match: "1-p"'     # 304` or `# 410`: the
command must then answer exactly that status. A second check asks the flagship buyer search
(the first example of "Searching suppliers") itself and wants suppliers back.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.servers import ROOT, running_server

README = ROOT / "README.md"
BLOCK = re.compile(r"^```bash\n(.*?)^```$", re.MULTILINE | re.DOTALL)
FLAGSHIP = re.compile(r"curl -s 'localhost:8000(/api/v1/suppliers\?supply_chain=[^']+)'")
EXPECTED = re.compile(r"^(?!\s*#).*\S\s+#\s*(\d{3})\b")  # a command, then `# 304`, `# 201, ...`

CURL_WRAPPER = r"""
curl() {  # fail on HTTP >= 400 unless the README line expects a status (EXPECT)
  local headers status
  headers=$(mktemp)
  command curl -D "$headers" "$@" || { echo "README example: curl failed: curl $*" >&2; return 1; }
  status=$(awk 'toupper($1) ~ /^HTTP\// {s = $2} END {print s}' "$headers")
  rm -f "$headers"
  if [[ -n "${EXPECT:-}" ]]; then
    if [[ "$status" != "$EXPECT" ]]; then
      echo "README example: HTTP $status, expected $EXPECT: curl $*" >&2; return 1
    fi
  elif (( status >= 400 )); then
    echo "README example: HTTP $status: curl $*" >&2; return 1
  fi
}
"""


def readme_blocks(text: str) -> list[str]:
    """The runnable (`bash`) blocks, in order."""
    return BLOCK.findall(text)


def mark_expected_statuses(block: str) -> str:
    """Prefix `EXPECT=NNN` to the curl of each command whose last line ends in `# NNN`."""
    lines = block.splitlines()
    for i, line in enumerate(lines):
        match = EXPECTED.match(line)
        if match is None:
            continue
        for j in range(i, -1, -1):  # the command starts at the nearest curl at or above
            if "curl " in lines[j]:
                lines[j] = lines[j].replace("curl ", f"EXPECT={match.group(1)} curl ", 1)
                break
        else:
            raise AssertionError(f"README: a status comment without a curl: {line!r}")
    return "\n".join(lines)


def readme_script(text: str, *, base: str) -> str:
    """One bash script from the README's runnable blocks, aimed at `base`."""
    host = urlsplit(base).netloc
    cli = f'"{sys.executable}" -m app.cli'
    parts = ["set -euo pipefail", CURL_WRAPPER]
    for number, block in enumerate(readme_blocks(text), 1):
        block = block.replace("localhost:8000", host).replace("127.0.0.1:8000", host)
        block = block.replace(".venv/bin/escouting", cli)
        parts.append(f"echo '--- README bash block {number}' >&2")
        parts.append(mark_expected_statuses(block))
    return "\n".join(parts) + "\n"


def _cli(url: str, *args: str) -> None:
    env = os.environ | {"DATABASE_URL": url, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT, check=True, capture_output=True
    )


def test_status_comments_mark_the_command_they_end():
    block = "curl -s -X PATCH x \\\n  -d '{}'     # 412\n# 201 Created\ncurl -s y"
    assert mark_expected_statuses(block).splitlines() == [
        "EXPECT=412 curl -s -X PATCH x \\",
        "  -d '{}'     # 412",
        "# 201 Created",
        "curl -s y",
    ]


def test_readme_examples_run_in_order_on_the_demo(tmp_path: Path):
    text = README.read_text()
    assert len(readme_blocks(text)) >= 10, "README: where did the bash examples go?"
    url = f"sqlite:///{tmp_path / 'escouting.db'}"
    _cli(url, "migrate")  # what `make run` does before it serves
    _cli(url, "seed-demo", "--if-empty")
    _cli(url, "create-api-key", "--role", "admin", "--name", "make run")
    work = tmp_path / "terminal"
    work.mkdir()
    # As `make run` serves: the webhook worker on, http receivers on loopback allowed.
    settings = {"WEBHOOKS_WORKER_ENABLED": "true", "WEBHOOKS_ALLOW_HTTP_LOOPBACK": "true"}
    with running_server(url, log=tmp_path / "server.log", **settings) as base:
        script = work / "readme.sh"
        script.write_text(readme_script(text, base=base))
        env = os.environ | {"DATABASE_URL": url, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
        # A session of its own, so that whatever an example leaves running (the webhook
        # receiver, if the script fails before it stops it) is stopped with it.
        process = subprocess.Popen(
            ["bash", str(script)],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=120)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        assert process.returncode == 0, (
            f"a README example failed (exit {process.returncode}):\n"
            f"{stderr[-4000:]}\n--- stdout (end):\n{stdout[-2000:]}"
        )

        # The flagship buyer search finds suppliers on the demo data.
        flagship = FLAGSHIP.search(text)
        assert flagship is not None, "README: the flagship search example is gone"
        answer = httpx.get(f"{base}{flagship.group(1)}")
        assert answer.status_code == 200 and answer.json()["total"] > 0, answer.text
