"""Runs a command and checks its exit code; prints its stderr (for FileCheck).

Usage: expect_exit.py CODE [--empty-stdout] -- CMD ARGS...
Fails (exit 1) if the command's exit code is not CODE, or if --empty-stdout
is given and the command printed anything on stdout.
"""
import subprocess
import sys

args = sys.argv[1:]
code = int(args.pop(0))
empty_stdout = False
if args and args[0] == "--empty-stdout":
    empty_stdout = True
    args.pop(0)
if not args or args.pop(0) != "--":
    sys.exit("usage: expect_exit.py CODE [--empty-stdout] -- CMD ARGS...")
p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
sys.stdout.write(p.stderr.decode(errors="replace"))
if p.returncode != code:
    sys.exit(f"expected exit code {code}, got {p.returncode}")
if empty_stdout and p.stdout:
    sys.exit(f"expected nothing on stdout, got {p.stdout[:200]!r}")
