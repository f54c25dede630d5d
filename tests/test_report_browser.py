"""The HTML report in a real headless Chromium (Debian package): it loads offline, the plots are in the
rendered DOM with a real size, hovering works, and the console stays clean.

Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: fd 3 in, fd 4
out, NUL-separated JSON), so console errors, uncaught exceptions, CSP violations and every
network request are collected as events. The detector is itself tested on pages with deliberate
errors. Skips when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from formcoach.report_html import render_html, write_timeline_csv
from conftest import on_realistic_sessions_worker

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
]

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"),
    on_realistic_sessions_worker,  # one worker: one Chromium (the module's browser) and the sessions made once
    # Chromium only reads the page's text, which test_report_html checks on both Pythons: the browser's view of it
    # is about neither the Python version nor the pose backend, so CI loads it on its main Python only (~10 s).
    pytest.mark.one_python,
]


class Browser:
    """A headless Chromium driven over a DevTools pipe; collects console errors and requests per page."""

    def __init__(self, timeout_s: float = 15.0) -> None:
        self.timeout_s = timeout_s
        self.profile = tempfile.mkdtemp(prefix="fc-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds() -> None:  # in the child: our pipe ends become fds 3 (commands) and 4 (replies)
            a, b = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)  # dup2 makes 3 and 4 inheritable; every other fd is close-on-exec (PEP 446)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={self.profile}", "--window-size=1200,900", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds, close_fds=False,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf, self._id, self._events = b"", 0, []
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.call(f"{domain}.enable", session=True)
        except BaseException:
            self.close()  # never leave a browser behind
            raise

    # -- protocol --

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_for(self, method: str, timeout_s: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        for ev in self._events:
            if ev.get("method") == method:
                return ev
        while True:
            ev = self._read(deadline)
            self._events.append(ev)
            if ev.get("method") == method:
                return ev

    # -- pages --

    def open(self, url: str, settle_s: float = 0.3) -> None:
        """Navigate, wait for the load event and let late errors (timers, CSP reports) arrive."""
        self._events = []
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")
        self.evaluate(f"new Promise(r => setTimeout(r, {int(settle_s * 1000)}))", await_promise=True)

    def evaluate(self, expression: str, await_promise: bool = False) -> Any:
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True,
                           awaitPromise=await_promise)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def console_errors(self) -> list[str]:
        """Uncaught exceptions, console.error/assert, and browser-logged errors (CSP, failed loads)."""
        errors = []
        for ev in self._events:
            method, p = ev.get("method"), ev.get("params", {})
            if method == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                errors.append("exception: " + d.get("exception", {}).get("description", d.get("text", "")))
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
                errors.append(f"log ({p['entry']['source']}): {p['entry']['text']}")
        return errors

    def requests(self) -> list[str]:
        return [ev["params"]["request"]["url"] for ev in self._events if ev.get("method") == "Network.requestWillBeSent"]

    def mouse_move(self, x: float, y: float) -> None:
        self.call("Input.dispatchMouseEvent", session=True, type="mouseMoved", x=x, y=y)

    def screenshot(self, path: Path, width: int = 1200) -> None:
        height = self.evaluate("Math.ceil(document.documentElement.scrollHeight)")
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        data = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.call("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass  # it may close the pipe before answering; we kill it below regardless
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


@pytest.fixture
def reports(realistic_sessions):
    """The four synthetic sessions shared with test_report_html (conftest.realistic_sessions)."""
    return realistic_sessions


def _page(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path.as_uri()


# ---- the detector catches what it must ------------------------------------------------------------


@pytest.mark.parametrize("body, expected", [
    ("<script>null.boom();</script>", "exception"),
    ("<script>console.error('deliberate console error');</script>", "deliberate console error"),
    ("<script>setTimeout(function(){ throw new Error('late error'); }, 50);</script>", "late error"),
    ("<img src='https://example.invalid/x.png'>", "log"),  # blocked by the report's CSP
])
def test_detector_catches_deliberate_errors(browser, tmp_path, body, expected):
    csp = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'\">"
    browser.open(_page(tmp_path, "bad.html", f"<!DOCTYPE html><html><head>{csp}</head><body><p>x</p>{body}</body></html>"))
    errors = browser.console_errors()
    assert any(expected in e for e in errors), errors


def test_detector_catches_an_error_injected_into_a_real_report(browser, reports):
    report, out_dir = reports["wall_squat"]
    page = render_html(report, out_dir / "thumbs").replace("</body>", "<script>formcoachUndefined();</script></body>")
    path = out_dir / "broken.html"
    path.write_text(page, encoding="utf-8")
    browser.open(path.as_uri())
    assert any("formcoachUndefined is not defined" in e for e in browser.console_errors())


def test_detector_is_quiet_on_a_clean_page(browser, tmp_path):
    browser.open(_page(tmp_path, "ok.html", "<!DOCTYPE html><html><body><script>console.log('fine')</script></body></html>"))
    assert browser.console_errors() == []


# ---- the real reports ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["wall_squat", "superman", "hip_hinge", "empty"])
def test_report_loads_offline_with_plots_and_no_console_errors(browser, reports, kind):
    report, out_dir = reports[kind]
    html_path = out_dir / "report.html"
    html_path.write_text(render_html(report, out_dir / "thumbs"), encoding="utf-8")
    browser.open(html_path.as_uri())

    assert browser.console_errors() == []
    external = [u for u in browser.requests() if not u.startswith(("file:", "data:", "about:"))]
    assert external == []
    assert browser.evaluate("document.querySelector('h1').textContent") == report["exercise_name"]
    plots = browser.evaluate(
        "Array.from(document.querySelectorAll('svg.plot')).map(s => {const r = s.getBoundingClientRect();"
        " return [s.dataset.metric, Math.round(r.width), Math.round(r.height), s.querySelectorAll('path.series').length]})"
    )
    assert [p[0] for p in plots] == [report["timeline"]["primary"], *(m for m in report["timeline"]["metrics"]
                                                                       if m != report["timeline"]["primary"])]
    for _, width, height, _ in plots:
        assert width > 600 and height > 100  # laid out and visible, not collapsed
    metrics = report["timeline"]["metrics"]
    for metric, _, _, n in plots:  # a line wherever something was measured (hip hinge: no mask, no back line)
        assert n == (1 if any(v is not None for v in metrics[metric]) else 0)
    if report["frames"]["with_pose"]:  # the primary line has real geometry
        assert browser.evaluate("document.querySelector('svg.plot path.series').getTotalLength()") > 100
    imgs = browser.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    kinds = {f["cue"] for f in report["faults"]}  # one card, one picture per kind of fault
    assert len(imgs) == len(kinds) and all(ok and w == 320 for ok, w in imgs)


def test_hover_shows_the_value_under_the_cursor(browser, reports):
    report, out_dir = reports["wall_squat"]
    html_path = out_dir / "report.html"
    html_path.write_text(render_html(report, out_dir / "thumbs"), encoding="utf-8")
    browser.open(html_path.as_uri())
    box = browser.evaluate("(() => {const r = document.querySelector('svg.plot').getBoundingClientRect();"
                           " window.scrollTo(0, 0); return [r.left, r.top, r.width, r.height]})()")
    browser.mouse_move(box[0] + box[2] * 0.5, box[1] + box[3] * 0.5)
    text = browser.evaluate("document.querySelector('svg.plot .cursor text').textContent")
    visible = browser.evaluate("document.querySelector('svg.plot .cursor').getAttribute('visibility')")
    assert visible == "visible" and text.endswith("°") and " s: " in text
    assert browser.console_errors() == []


def test_screenshot_for_the_docs(browser, reports, tmp_path):
    """Writes a full-page screenshot; FORMCOACH_SCREENSHOT=path keeps it (docs/images/report_example.png is
    this image cropped to the content and quantised to 256 colours)."""
    report, out_dir = reports["wall_squat"]
    html_path = out_dir / "report.html"
    html_path.write_text(render_html(report, out_dir / "thumbs"), encoding="utf-8")
    write_timeline_csv(report["timeline"], out_dir / "metrics.csv")
    browser.open(html_path.as_uri())
    target = Path(os.environ.get("FORMCOACH_SCREENSHOT") or tmp_path / "report.png")
    browser.screenshot(target)
    # the picture is the page: full width and height, and the first plot's box shows its line, not a blank
    import cv2

    image = cv2.imread(str(target))  # (H, W, 3) BGR, None if not a PNG
    height = browser.evaluate("Math.ceil(document.documentElement.scrollHeight)")
    x, y, w, h, *rgb = browser.evaluate(
        "(() => {const p = document.querySelector('svg.plot path.series'), r = p.getBoundingClientRect();"
        " return [r.left + scrollX, r.top + scrollY, r.width, r.height].map(Math.round)"
        ".concat(getComputedStyle(p).stroke.match(/\\d+/g).slice(0, 3).map(Number))})()")
    browser.call("Emulation.clearDeviceMetricsOverride", session=True)
    assert image is not None and image.shape[:2] == (height, 1200)
    assert w > 300 and h > 20
    plot = image[y:y + h, x:x + w].astype(int)  # the series line's box
    on_line = (np.abs(plot - np.array(rgb[::-1])).sum(axis=2) < 60).sum()  # pixels drawn in the line's colour
    assert on_line > w, f"the plotted line is not in the picture ({on_line} pixels of colour {rgb} in a {w} px wide box)"


# ---- a phone screen and the embedded video ---------------------------------------------------------------


def _phone(browser, width: int = 390, height: int = 844) -> None:
    browser.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                 deviceScaleFactor=1, mobile=True)


OVERFLOW_JS = """(() => {
  const w = document.documentElement.clientWidth, bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > w + 1 || r.left < -1) bad.push(el.tagName.toLowerCase() + '.' + el.getAttribute('class') + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  return {width: w, scroll: document.documentElement.scrollWidth, bad: bad.slice(0, 10)};
})()"""


@pytest.mark.parametrize("kind", ["wall_squat", "superman", "hip_hinge", "empty"])
def test_no_element_overflows_a_phone_screen(browser, reports, kind):
    report, out_dir = reports[kind]
    html_path = out_dir / "report.html"
    html_path.write_text(render_html(report, out_dir / "thumbs"), encoding="utf-8")
    _phone(browser)
    try:
        browser.open(html_path.as_uri())
        found = browser.evaluate(OVERFLOW_JS)
        plot_w = browser.evaluate("Math.round(document.querySelector('svg.plot')?.getBoundingClientRect().width || 0)")
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride", session=True)
    assert found["width"] == 390 and found["scroll"] <= 390 and found["bad"] == [], found
    assert plot_w == 0 or plot_w > 300  # the plots shrink to the screen, they are not cut off


def _h264_reason(path: Path) -> str | None:
    """Why `path` is not an H.264 video a browser plays (None: it is)."""
    try:
        import av
    except ImportError:
        return "PyAV is not installed: cannot check the codec"
    with av.open(str(path)) as container:
        codec = container.streams.video[0].codec_context.name
    return None if codec == "h264" else f"annotated.mp4 is {codec}, not H.264: browsers cannot play it"


def test_video_loads_and_a_rep_row_seeks_it(browser, reports, tmp_path):
    from formcoach.video_out import VideoWriter

    report, _ = reports["hip_hinge"]
    folder = tmp_path / "session"
    folder.mkdir()
    writer = VideoWriter(folder / "annotated.mp4", 10.0)
    for k in range(int(report["duration_s"] * 10)):
        frame = np.full((240, 320, 3), 40, np.uint8)
        frame[100:140, (k * 3) % 280:(k * 3) % 280 + 40] = 220  # something moves
        writer.write(frame, k / 10)
    writer.close()
    reason = _h264_reason(folder / "annotated.mp4")
    if reason:
        pytest.skip(reason)
    html_path = folder / "report.html"
    html_path.write_text(render_html(report, folder / "thumbs"), encoding="utf-8")
    browser.open(html_path.as_uri())
    ready = browser.evaluate("""new Promise(done => { const v = document.getElementById('fc-video');
        if (v.readyState >= 2) return done(v.readyState);
        v.addEventListener('loadeddata', () => done(v.readyState)); v.load();
        setTimeout(() => done(v.readyState), 8000); })""", await_promise=True)
    assert ready >= 2, f"video not loaded (readyState {ready}); errors: {browser.console_errors()}"
    row = browser.evaluate("document.querySelectorAll('table.reps tr[data-seek]').length")
    assert row == len(report["reps"]) >= 2
    seek = browser.evaluate("""new Promise(done => { const v = document.getElementById('fc-video');
        const tr = document.querySelectorAll('table.reps tr[data-seek]')[1];
        v.addEventListener('seeked', () => done([v.currentTime, +tr.dataset.seek]), {once: true});
        tr.click(); setTimeout(() => done([v.currentTime, +tr.dataset.seek]), 5000); })""", await_promise=True)
    assert seek[1] > 0 and abs(seek[0] - seek[1]) < 0.15, seek
    assert browser.console_errors() == []


def test_workout_page_shares_the_report_style_and_fits_a_phone(browser, tmp_path):
    from conftest import ScriptedPose
    from formcoach.workout import run_workout
    from formcoach.workout_report import write_workout_report
    import test_workout as tw

    rec = run_workout(tw.camera(35), ScriptedPose(tw.squats_then_superman), tw.routine(tw.TWO_EXERCISES), tw.CATALOG,
                      rest_override_s=2.0)
    write_workout_report(rec, tmp_path)
    page = (tmp_path / "workout.html").read_text()
    assert "ended by done" not in page and "all sets done" in page
    assert 'class="card' in page and "svg.plot{" in page  # the session page's cards and stylesheet
    _phone(browser)
    try:
        browser.open((tmp_path / "workout.html").as_uri())
        found = browser.evaluate(OVERFLOW_JS)
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride", session=True)
    assert found["bad"] == [] and found["scroll"] <= 390, found
    assert browser.console_errors() == []
