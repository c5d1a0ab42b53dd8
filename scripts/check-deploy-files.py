#!/usr/bin/env python3
"""Checks the deployment files by reading them (no IIS or Docker engine needed):
web.config parses as XML and runs the binary the build produces behind HttpPlatformHandler with
websockets, forced https (307), errors passed through and stdout logged; the Dockerfile is
multi-stage, non-root, with a HEALTHCHECK, a /data volume and no baked-in PORT.
Standard library only. Usage: scripts/check-deploy-files.py (from anywhere)."""

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def binary_name():
    text = (ROOT / "Cargo.toml").read_text()
    try:
        import tomllib

        cargo = tomllib.loads(text)
        bins = cargo.get("bin") or []
        return bins[0]["name"] if bins else cargo["package"]["name"]
    except ImportError:
        package = text.split("[package]", 1)[1].split("\n[", 1)[0]
        return re.search(r'^name\s*=\s*"([^"]+)"', package, re.M).group(1)


def check_web_config(binary):
    try:
        root = ET.parse(ROOT / "web.config").getroot()
    except ET.ParseError as e:
        check(False, f"web.config parses as XML ({e})")
        return
    check(True, "web.config parses as XML")
    ws = root.find("system.webServer")
    check(ws is not None, "web.config has system.webServer")
    if ws is None:
        return
    handlers = [h.get("modules") for h in ws.findall("handlers/add")]
    check("httpPlatformHandler" in handlers, "the httpPlatformHandler module handles requests")
    hp = ws.find("httpPlatform")
    check(hp is not None, "an httpPlatform section exists")
    if hp is None:
        return
    path = hp.get("processPath", "")
    exe = re.split(r"[\\/]", path)[-1]
    check(exe == f"{binary}.exe", f"processPath names the built binary {binary}.exe (got {path!r})")
    env = {e.get("name"): e.get("value") for e in hp.findall("environmentVariables/environmentVariable")}
    check(env.get("PORT") == "%HTTP_PLATFORM_PORT%", "PORT is set to %HTTP_PLATFORM_PORT%")
    check(hp.get("stdoutLogEnabled") == "true" and bool(hp.get("stdoutLogFile")), "stdout goes to a log file")
    check(hp.get("processesPerApplication", "1") == "1", "one process per application (in-memory sockets)")
    sock = ws.find("webSocket")
    check(sock is None or sock.get("enabled") != "false",
          "the IIS WebSocket module is not disabled (HttpPlatformHandler relays upgrades; iisnode was the opposite)")
    rules = ws.findall("rewrite/rules/rule")
    https_rules = [r for r in rules
                   if (r.find("action") is not None and r.find("action").get("type") == "Redirect"
                       and r.find("action").get("url", "").startswith("https://"))]
    check(len(https_rules) == 1, "one rewrite rule redirects to https")
    if https_rules:
        rule = https_rules[0]
        conds = {c.get("input"): c for c in rule.findall("conditions/add")}
        check("{HTTPS}" in conds and "off" in conds["{HTTPS}"].get("pattern", "").lower(),
              "the rule applies when {HTTPS} is off")
        check(rule.find("action").get("redirectType") == "Temporary",
              "the redirect is a 307 (redirectType Temporary) so POSTs keep method and body")
        health = [c for c in conds.values() if "health" in c.get("pattern", "") and c.get("negate") == "true"]
        check(len(health) == 1, "/health is exempt from the https rule")
    errors = ws.find("httpErrors")
    check(errors is not None and errors.get("existingResponse") == "PassThrough", "errors pass through")


def check_dockerfile(binary):
    text = (ROOT / "Dockerfile").read_text()
    lines = [l.strip() for l in re.sub(r"\\\n", " ", text).splitlines() if l.strip() and not l.strip().startswith("#")]
    froms = [l for l in lines if l.upper().startswith("FROM ")]
    check(len(froms) >= 3, f"multi-stage build ({len(froms)} stages)")
    runtime = text.rsplit("\nFROM ", 1)[1]
    check(f"cp target/release/{binary} " in text, f"the build stage copies target/release/{binary}")
    check(re.search(rf'HEALTHCHECK .*CMD \["/usr/local/bin/{binary}", "healthcheck"\]', re.sub(r"\\\n\s*", "", text))
          is not None, "HEALTHCHECK runs the binary's healthcheck")
    check(f'ENTRYPOINT ["/usr/local/bin/{binary}"]' in runtime, "the runtime stage runs the binary")
    user = [l for l in runtime.splitlines() if l.startswith("USER ")]
    check(bool(user) and user[-1].split()[1].split(":")[0] not in ("root", "0"), "the runtime user is not root")
    data_dir = re.search(r"ENV FERROSCOUT_DATA_DIR=(\S+)", runtime)
    volume = re.search(r'VOLUME \["([^"]+)"\]', runtime)
    check(bool(data_dir and volume and data_dir.group(1) == volume.group(1)), "the data directory is a volume")
    check(re.search(r"^ENV PORT\b", runtime, re.M) is None, "PORT is not baked in (PORT/WEBSITES_PORT read at run time)")
    check("cargo build --release --locked" in text and "Cargo.lock ./" in text,
          "dependencies are built in their own cached layer")
    # Cargo refuses a manifest whose explicit targets are missing, so the build stage needs them.
    cargo_toml = (ROOT / "Cargo.toml").read_text()
    for kind, folder in (("bench", "benches"), ("test", "tests"), ("example", "examples")):
        if re.search(rf"^\[\[{kind}\]\]", cargo_toml, re.M):
            check(f"COPY {folder}/ {folder}/" in text, f"the build stage copies {folder}/ (Cargo.toml has [[{kind}]])")
    if re.search(r'path = "vendor/', cargo_toml):
        check("COPY vendor/ vendor/" in text, "the build stage copies vendor/ (Cargo.toml patches crates from it)")


def check_dependency_stage():
    """Replays the Dockerfile's dependency layer (Cargo.toml, Cargo.lock, what it copies of benches/ and vendor/, placeholder
    sources) in a temporary folder and asks cargo whether that manifest loads with the lock."""
    import shutil
    import subprocess
    import tempfile

    if shutil.which("cargo") is None:
        print("skip the dependency-layer replay (no cargo on PATH)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for f in ("Cargo.toml", "Cargo.lock"):
            shutil.copy(ROOT / f, tmp / f)
        for folder in ("benches", "vendor"):
            if (ROOT / folder).is_dir() and f"COPY {folder}/ {folder}/" in (ROOT / "Dockerfile").read_text():
                shutil.copytree(ROOT / folder, tmp / folder)
        (tmp / "src").mkdir()
        (tmp / "src" / "main.rs").write_text("fn main() {}\n")
        (tmp / "src" / "lib.rs").write_text("")
        # `cargo fetch` loads the manifest the way `cargo build` does (every explicit target must
        # exist) and checks the lock; host platform only, from the local cache.
        host = subprocess.run(["rustc", "-vV"], capture_output=True, text=True).stdout
        host = next((l.split(": ", 1)[1] for l in host.splitlines() if l.startswith("host: ")), None)
        cmd = ["cargo", "fetch", "--locked", "--offline"] + (["--target", host] if host else [])
        r = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        check(r.returncode == 0, "the Dockerfile's dependency layer is a valid, locked cargo project"
              + ("" if r.returncode == 0 else f": {r.stderr.strip()[-300:]}"))


if __name__ == "__main__":
    name = binary_name()
    check_web_config(name)
    check_dockerfile(name)
    check_dependency_stage()
    if failures:
        print(f"\n{len(failures)} deployment file check(s) failed", file=sys.stderr)
        sys.exit(1)
