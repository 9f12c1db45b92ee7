"""Open a report in headless Chromium: the rendered DOM (after scripts ran) and a screenshot.

Used by the end-to-end tests to check that a report really renders (images decode, tables
are there) and by anyone who wants a PNG of a report without a desktop.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from regen.errors import RegenError

# Everything that would reach the network or write outside the throw-away profile is off:
# reports are offline files, and tests must not depend on (or wait for) Google services.
_FLAGS = (
    "--headless",
    "--no-sandbox",  # we usually run as root in a container, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> str | None:
    """Path of the Chromium executable, or None when it is not installed."""
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def render_in_chromium(
    html_path: Path,
    screenshot: Path | None = None,
    timeout: float = 60,
    window_size: tuple[int, int] = (1280, 2000),
) -> str:
    """Load ``html_path`` in headless Chromium and return the DOM after the load event.

    Args:
        html_path: the HTML file to open (as a ``file://`` URL).
        screenshot: where to write a PNG of the first ``window_size`` pixels, if given.
        timeout: seconds before giving up.
        window_size: viewport (width, height) in CSS pixels for the screenshot.

    Raises:
        RegenError: Chromium is missing, fails, or takes longer than ``timeout``.
    """
    chromium = find_chromium()
    if chromium is None:
        raise RegenError("chromium is not installed; install it with: apt-get install chromium")
    html_path = Path(html_path).resolve()
    if not html_path.is_file():
        raise RegenError(f"no such HTML file: {html_path}; write the report first")
    with tempfile.TemporaryDirectory(prefix="regen-chromium-") as profile:
        command = [chromium, *_FLAGS, f"--user-data-dir={profile}", "--dump-dom"]
        if screenshot is not None:
            screenshot = Path(screenshot).resolve()
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            width, height = window_size
            command += [f"--screenshot={screenshot}", f"--window-size={width},{height}"]
        command.append(html_path.as_uri())
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RegenError(
                f"chromium did not render {html_path.name} within {timeout:g} s; "
                "raise the timeout or check the page for endless scripts"
            ) from None
    if done.returncode != 0 or not done.stdout.strip():
        # Chromium's stderr is mostly D-Bus noise in containers; the last line is the useful one.
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RegenError(f"chromium failed on {html_path.name} (exit {done.returncode}): {last}")
    return done.stdout
