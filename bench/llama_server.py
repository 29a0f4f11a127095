"""llama.cpp's OpenAI-compatible server with the bundled model, for measuring sleuth's remote-LM path for real."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def llama_server(home: Path, port: int = 8765) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server (`pip install -e ".[bench]"`) on 127.0.0.1 with the bundled 1.5B model,
    for measuring the remote path for real; yields its base URL."""
    import subprocess
    import sys
    import urllib.request

    from sleuth.agent.llm.local_models import model_file, preset

    model = model_file(preset("qwen2.5-coder-1.5b"), home / "models")
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "qwen"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/models", timeout=2)  # noqa: S310 (our own server)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("llama_cpp.server did not start: pip install -e '.[bench]'") from None
                time.sleep(1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
