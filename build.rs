//! Builds the dashboard (`frontend/`, Vite + TypeScript) and embeds it: runs `npm ci` when
//! `node_modules` is missing or older than `package-lock.json`, then `npm run build` into
//! `$OUT_DIR/dashboard`, and writes `$OUT_DIR/dashboard_assets.rs`, a table of `include_bytes!`
//! that `src/dashboard.rs` serves. Cargo reruns this only when a frontend source changes.
//! `FERROSCOUT_FRONTEND_DIST=<dir>` embeds an already built dashboard instead (no npm needed).
//! Without Node.js, a debug-profile build (`cargo check`, `cargo clippy`, rust-analyzer) embeds a
//! one-page note instead of the dashboard and says so in a warning; a release build fails with a
//! clear message, so `cargo build --release` never ships a binary without its dashboard.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const WATCHED: &[&str] = &[
    "frontend/src",
    "frontend/public",
    "frontend/index.html",
    "frontend/admin.html",
    "frontend/package.json",
    "frontend/package-lock.json",
    "frontend/vite.config.ts",
    "frontend/vite.admin.config.ts",
    "frontend/build-pages.mjs",
    "frontend/tsconfig.json",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for p in WATCHED {
        println!("cargo:rerun-if-changed={p}");
    }
    println!("cargo:rerun-if-env-changed=FERROSCOUT_FRONTEND_DIST");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let dist = match std::env::var("FERROSCOUT_FRONTEND_DIST") {
        Ok(d) if !d.is_empty() => PathBuf::from(d),
        _ if !npm_found() && std::env::var("PROFILE").as_deref() != Ok("release") => placeholder(&out),
        _ => build_frontend(&out.join("dashboard")),
    };
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    if !files.iter().any(|(rel, _)| rel == "index.html") {
        fail(&format!("{} has no index.html: the dashboard build produced nothing", dist.display()));
    }
    let mut code = String::from("pub static ASSETS: &[Asset] = &[\n");
    for (rel, abs) in &files {
        let bytes = std::fs::read(abs).unwrap_or_else(|e| fail(&format!("reading {}: {e}", abs.display())));
        let mut h = DefaultHasher::new();
        bytes.hash(&mut h);
        code.push_str(&format!(
            "    Asset {{ path: {rel:?}, content_type: {ct:?}, immutable: {imm}, etag: \"\\\"{etag:016x}\\\"\", bytes: include_bytes!({abs:?}) }},\n",
            ct = content_type(rel),
            imm = rel.starts_with("assets/"),
            etag = h.finish(),
            abs = abs.display().to_string(),
        ));
    }
    code.push_str("];\n");
    std::fs::write(out.join("dashboard_assets.rs"), code).expect("write dashboard_assets.rs");
}

fn fail(msg: &str) -> ! {
    eprintln!("\nerror: {msg}\n");
    std::process::exit(1);
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn npm() -> Command {
    if cfg!(windows) { Command::new("npm.cmd") } else { Command::new("npm") }
}

fn run(mut cmd: Command, what: &str) {
    let status = cmd.status().unwrap_or_else(|e| fail(&format!("could not run {what}: {e}")));
    if !status.success() {
        fail(&format!("{what} failed ({status}); see its output above"));
    }
}

fn npm_found() -> bool {
    npm().arg("--version").output().is_ok_and(|o| o.status.success())
}

/// The page a debug build without Node.js serves in place of the dashboard.
fn placeholder(out: &Path) -> PathBuf {
    println!(
        "cargo:warning=npm not found: the dashboard is not built into this debug build (the API works; \
         install Node.js 20.19+ to build it, as `cargo build --release` requires)"
    );
    // Only this build depends on PATH: once npm is there, the next build makes the dashboard.
    println!("cargo:rerun-if-env-changed=PATH");
    let dir = out.join("dashboard-placeholder");
    std::fs::create_dir_all(&dir).expect("create placeholder dir");
    let page = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Ferroscout</title>\
                <p>This Ferroscout was built without Node.js, so its dashboard is not included. \
                The API and socket.io work as usual.</p></html>\n";
    std::fs::write(dir.join("index.html"), page).expect("write placeholder page");
    std::fs::write(dir.join("manifest.webmanifest"), "{\"name\":\"Ferroscout\"}\n").expect("write manifest");
    dir
}

fn build_frontend(out_dir: &Path) -> PathBuf {
    let frontend = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir")).join("frontend");
    if !npm_found() {
        fail(
            "building the dashboard needs Node.js (20.19 or later) and npm, and `npm` was not found on PATH. \
             Install Node.js 20.19+ with npm (nodejs.org, or your distribution if its version is recent enough), \
             or set FERROSCOUT_FRONTEND_DIST to a folder holding a built dashboard (`npm run build` in frontend/).",
        );
    }
    check_node_version();
    let lock = frontend.join("package-lock.json");
    let installed = frontend.join("node_modules/.package-lock.json");
    let stale = match (mtime(&installed), mtime(&lock)) {
        (Some(i), Some(l)) => i < l,
        _ => true,
    };
    if stale {
        let mut c = npm();
        c.args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&frontend);
        run(c, "`npm ci` in frontend/");
    }
    let mut c = npm();
    c.args(["run", "build", "--", "--outDir"])
        .arg(out_dir)
        .args(["--emptyOutDir", "--logLevel", "warn"])
        .current_dir(&frontend);
    run(c, "`npm run build` in frontend/");
    out_dir.to_path_buf()
}

/// Vite needs Node.js ^20.19 or >= 22.12; an older one fails deep inside the build, so say it here.
fn check_node_version() {
    let Ok(out) = Command::new("node").arg("--version").output() else {
        fail("building the dashboard needs Node.js 20.19+ (`node` was not found on PATH)");
    };
    let v = String::from_utf8_lossy(&out.stdout);
    let mut parts = v.trim().trim_start_matches('v').split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if major < 20 || (major == 20 && minor < 19) || (major == 22 && minor < 12) || major == 21 {
        fail(&format!("building the dashboard needs Node.js ^20.19 or >= 22.12, found {}", v.trim()));
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| fail(&format!("reading {}: {e}", dir.display())));
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.push((rel, p.canonicalize().unwrap_or(p)));
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "map" => "application/json",
        _ => "application/octet-stream",
    }
}
