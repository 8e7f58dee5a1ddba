"""The example consumer built twice through a real HTTP remote cache: conversions are shared.

    remote_cache_test.py [--workdir DIR] [--testlogs_out FILE] [--keep]

Starts nginx (Debian's nginx-light: WebDAV PUT) on 127.0.0.1 as a Bazel HTTP cache, then in
examples/consumer:
  1. `bazel test //...` in a new, empty output base with --remote_cache: every action executes
     (this is the consumer's test run) and uploads its result;
  2. `bazel test //...` in a second new output base: passes only if no action executed (each
     one, the conversions, bundle and tests included, a remote cache hit, read from Bazel's
     execution log and its process summary) and every output file equals the first build's.
Both output bases share the user.bazelrc's install base (--output_user_root), so no second Bazel
extraction. Prints one line per build (time, processes) and a closing line; exit 0 on success,
1 on a failed check (naming it), 2 when nginx or bazel is missing. The servers it starts
(nginx, two Bazel servers) are stopped before it returns.
--testlogs_out FILE: write the first build's bazel-testlogs path there (tools/test.sh counts
test cases from it). --keep: leave the work directory (default .cache/remote-cache-test).
"""

import argparse
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONSUMER = os.path.join(ROOT, "examples", "consumer")
PROG = "remote_cache_test"
# What must come from the cache in the second build (the rules' action mnemonics).
RULE_MNEMONICS = ("TfjsConvert", "TfjsBundle")
# The outputs compared between the two builds (paths under bazel-bin).
OUTPUTS = ("sensor_web", "sensor_web_small", "text_gru_tfjs", "ranker_tfjs", "sensor_bundle", "web_models.tar")

NGINX_CONF = """daemon off;
worker_processes 1;
{user}pid {dir}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/scratch/body;
    proxy_temp_path {dir}/scratch/proxy;
    fastcgi_temp_path {dir}/scratch/fastcgi;
    uwsgi_temp_path {dir}/scratch/uwsgi;
    scgi_temp_path {dir}/scratch/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/store;
        client_max_body_size 0;
        dav_methods PUT;
        create_full_put_path on;
        dav_access user:rw;
    }}
}}
"""


class CheckFailed(Exception):
    """A check of the test failed (the message says which)."""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rmtree(path):
    """Remove a tree Bazel made read-only."""
    def make_writable(func, p, _):
        os.chmod(os.path.dirname(p), stat.S_IRWXU)
        if os.path.lexists(p) and not os.path.islink(p):
            os.chmod(p, stat.S_IRWXU)
        func(p)
    if os.path.lexists(path):
        shutil.rmtree(path, onerror=make_writable)


class Nginx:
    """nginx as an HTTP cache on 127.0.0.1:port, storing under dir/store; ours to stop."""

    def __init__(self, directory):
        self.dir = directory
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        for sub in ("store", "scratch"):
            os.makedirs(os.path.join(directory, sub))
        conf = os.path.join(directory, "nginx.conf")
        user = "user root;\n" if os.geteuid() == 0 else ""  # its workers must write the store
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(user=user, dir=directory, port=self.port))
        self.process = subprocess.Popen(["nginx", "-p", directory, "-c", conf, "-e", os.path.join(directory, "error.log")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready()

    def _wait_ready(self):
        probe = f"{self.url}/probe"
        for _ in range(100):
            if self.process.poll() is not None:
                raise CheckFailed(f"nginx exited: {self.process.stderr.read().decode().strip()}")
            try:
                urllib.request.urlopen(urllib.request.Request(probe, data=b"ok", method="PUT"), timeout=1)
                if urllib.request.urlopen(probe, timeout=1).read() == b"ok":
                    return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        raise CheckFailed(f"nginx did not answer PUT/GET on {self.url}")

    def stored(self):
        """(files, bytes) in the cache store."""
        files = total = 0
        for base, _, names in os.walk(os.path.join(self.dir, "store")):
            files += len(names)
            total += sum(os.path.getsize(os.path.join(base, n)) for n in names)
        return files, total

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Build:
    """One `bazel test //...` of the consumer in its own output base."""

    def __init__(self, workdir, name, cache_url):
        self.name = name
        self.output_base = os.path.join(workdir, name)
        self.exec_log = os.path.join(workdir, f"{name}.exec.json")
        self.cache_url = cache_url

    def bazel(self, *args, capture=True):
        return subprocess.run(["bazel", f"--output_base={self.output_base}", *args], cwd=CONSUMER,
                              stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE, text=True)

    def run(self):
        start = time.monotonic()
        done = self.bazel("test", "//...", f"--remote_cache={self.cache_url}", "--remote_timeout=60",
                          f"--execution_log_json_file={self.exec_log}", "--color=no", "--curses=no",
                          "--symlink_prefix=/")  # leave the workspace's bazel-* symlinks alone
        self.seconds = time.monotonic() - start
        self.summary = next((line for line in done.stderr.splitlines() if " processes" in line and "INFO:" in line),
                            "INFO: ? processes")
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-4000:])
            raise CheckFailed(f"{self.name}: bazel test //... failed (exit {done.returncode})")
        self.bin = self.bazel("info", "bazel-bin").stdout.strip()
        self.testlogs = self.bazel("info", "bazel-testlogs").stdout.strip()
        return self

    def spawns(self):
        """The execution log: one dict per spawn (Bazel writes concatenated JSON objects)."""
        text = open(self.exec_log).read()
        decoder, at, spawns = json.JSONDecoder(), 0, []
        while at < len(text):
            while at < len(text) and text[at].isspace():
                at += 1
            if at < len(text):
                spawn, at = decoder.raw_decode(text, at)
                spawns.append(spawn)
        return spawns

    def shutdown(self):
        self.bazel("shutdown")


def _tree(path):
    """{relative path: bytes} of a file or directory (following the sandbox's symlinks)."""
    if os.path.isfile(path):
        return {"": open(path, "rb").read()}
    files = {}
    for base, _, names in os.walk(path):
        for n in names:
            full = os.path.join(base, n)
            files[os.path.relpath(full, path)] = open(full, "rb").read()
    return files


def check_all_hits(build):
    """Every spawn of `build` was a remote cache hit, the rules' actions among them."""
    spawns = build.spawns()
    executed = [s for s in spawns if not s.get("remoteCacheHit")]
    if executed:
        names = ", ".join(sorted({f"{s.get('mnemonic')} ({s.get('progressMessage', '')[:60]})" for s in executed}))
        raise CheckFailed(f"{build.name}: {len(executed)} of {len(spawns)} actions executed instead of "
                          f"coming from the cache: {names}")
    hits = {m: sum(1 for s in spawns if s.get("mnemonic") == m) for m in RULE_MNEMONICS}
    if not all(hits.values()):
        raise CheckFailed(f"{build.name}: the execution log has no {', '.join(m for m, n in hits.items() if not n)} action")
    if "remote cache hit" not in build.summary:
        raise CheckFailed(f"{build.name}: Bazel's summary shows no remote cache hit: {build.summary}")
    return len(spawns), hits


def check_same_outputs(first, second):
    for name in OUTPUTS:
        a, b = _tree(os.path.join(first.bin, name)), _tree(os.path.join(second.bin, name))
        if not a:
            raise CheckFailed(f"{first.name}: bazel-bin/{name} is missing or empty")
        if a != b:
            differ = sorted(set(a) ^ set(b)) or sorted(k for k in a if a[k] != b[k])
            raise CheckFailed(f"bazel-bin/{name} differs between the two builds: {', '.join(differ[:5])}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default=os.path.join(ROOT, ".cache", "remote-cache-test"))
    parser.add_argument("--testlogs_out", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    for tool in ("nginx", "bazel"):
        if not shutil.which(tool):
            print(f"{PROG}: {tool} not found on PATH (tools/setup.sh installs it)", file=sys.stderr)
            return 2
    _rmtree(args.workdir)  # both output bases start empty
    os.makedirs(args.workdir)
    nginx = Nginx(os.path.join(args.workdir, "nginx"))
    builds = []
    try:
        first = Build(args.workdir, "first", nginx.url)
        builds.append(first)
        first.run()
        first.shutdown()  # one Bazel server at a time on a small machine
        if args.testlogs_out:
            with open(args.testlogs_out, "w") as f:
                f.write(first.testlogs + "\n")
        files, size = nginx.stored()
        print(f"{PROG}: first build (empty output base, cold): {first.seconds:.1f} s; {first.summary[6:]}; "
              f"cache now {files} files, {size / 1e6:.1f} MB")
        second = Build(args.workdir, "second", nginx.url)
        builds.append(second)
        second.run()
        spawns, hits = check_all_hits(second)
        check_same_outputs(first, second)
        print(f"{PROG}: second build (another empty output base): {second.seconds:.1f} s; {second.summary[6:]}")
        print(f"{PROG}: OK: all {spawns} actions of the second build were remote cache hits "
              f"({', '.join(f'{n} {m}' for m, n in hits.items())}); its {len(OUTPUTS)} outputs equal the first build's")
        return 0
    except CheckFailed as err:
        print(f"{PROG}: FAILED: {err}", file=sys.stderr)
        return 1
    finally:
        for build in builds:
            build.shutdown()
        nginx.stop()
        if not args.keep:
            for build in builds:  # the first build's test logs stay for --testlogs_out
                if build.name != "first" or not args.testlogs_out:
                    _rmtree(build.output_base)


if __name__ == "__main__":
    sys.exit(main())
