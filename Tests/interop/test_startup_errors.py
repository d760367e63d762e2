"""The server refuses bad start-up conditions with a clear message and a non-zero exit."""
import os
import shutil
import socket
import subprocess

import pytest


def run(binary, *args, as_nobody=False, timeout=20):
    command = [binary, *args]
    if as_nobody:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to drop to an unprivileged user with setpriv")
def test_privileged_port_without_privilege_is_permission_denied(server_binary):
    result = run(server_binary, "--port", "80", as_nobody=True)
    assert result.returncode == 1
    assert "permission denied (EACCES)" in result.stderr
    assert "bind 127.0.0.1:80" in result.stderr
    assert "LISTENING" not in result.stdout


def test_port_in_use_is_reported(server_binary):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        result = run(server_binary, "--port", str(port))
    assert result.returncode == 1
    assert "address already in use (EADDRINUSE)" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--host", "not-an-ip"], "not an IP address"),
    (["--port", "70000"], "outside 0...65535"),
    (["--port", "-3"], "needs a whole number"),
    (["--max-connections"], "needs a value"),
    (["--bogus"], "unknown option '--bogus'"),
])
def test_bad_arguments_are_refused(server_binary, args, message):
    result = run(server_binary, *args)
    assert result.returncode in (1, 2)
    assert message in result.stderr
