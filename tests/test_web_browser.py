"""The page in a real browser: Debian's chromium, driven by Playwright, with Chromium's fake
camera playing a shared clip.

- live: the camera (the clip, converted to Y4M) streams to the server, the page shows the
  clip's squat count, each repetition as it lands, and its frame-to-count latency;
- upload: the clip is uploaded, the page shows its count and plays the annotated video;
- history: both sessions are listed and plotted;
- bad input: a non-video upload, garbage on the live socket and a log that is not SQLite
  each show a clear message in the page.

The tests run in order on one page and one server: the history test lists the sessions
the live and upload tests made. Screenshots are saved in a ``screenshots`` folder of
pytest's temporary directory (the path is printed). Playwright's own browser download is
not used (it cannot work offline): ``.ci/run`` installs Debian's chromium.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from webserver import serve, write_y4m

pytestmark = pytest.mark.video

CLIP = "squats_side_gym"
CHROMIUM = "/usr/bin/chromium"
#: A repetition window counted live may be this far from the hand-timed bottom (the
#: session's time starts at the first frame the page sends, a frame or two late).
LIVE_TOLERANCE_S = 0.5
LIVE_TIMEOUT_MS = 120_000
UPLOAD_TIMEOUT_MS = 300_000
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


@pytest.fixture(scope="module")
def truth(videos_dir: Path) -> dict:
    with (videos_dir / "ground_truth.csv").open(newline="", encoding="utf-8") as f:
        row = {Path(r["file"]).stem: r for r in csv.DictReader(f)}[CLIP]
    return {
        "reps": int(row["reps"]),
        "events": [float(t) for t in row["rep_event_times_s"].split(";")],
        "duration_s": float(row["duration_s"]),
    }


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def playwright():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


def _browser(playwright, profile: Path, camera: Path | None = None):
    flags = list(CHROMIUM_FLAGS)
    if camera is not None:
        flags.append(f"--use-file-for-fake-video-capture={camera}")
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=flags,
        viewport={"width": 1280, "height": 800},
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    with serve(folder / "log.sqlite", folder=folder) as running:
        print(f"\npyengine serve answered after {running.start_s:.2f} s")
        yield running


@pytest.fixture(scope="module")
def page(playwright, served, videos_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    camera = folder / f"{CLIP}.y4m"
    write_y4m(videos_dir / f"{CLIP}.mp4", camera, width=640)
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=folder))
    context = _browser(playwright, profile, camera)
    try:
        page = context.new_page()
        page.goto(served.url + "#live")
        page.wait_for_selector("body[data-ready=true]")
        yield page
    finally:
        context.close()
        camera.unlink(missing_ok=True)  # a few hundred MB
        shutil.rmtree(profile, ignore_errors=True)


def test_live_camera_shows_the_clips_squat_count(page, truth, screenshots):
    page.click("#live-start")
    page.wait_for_function(
        "() => (pyengineLive.counts.squats_down || 0) >= 3", timeout=LIVE_TIMEOUT_MS
    )
    page.screenshot(path=str(screenshots / "live.png"))
    stats = page.evaluate("() => pyengineLive.latencyStats()")
    page.click("#live-stop")  # the fake camera loops the clip: stop before its second pass
    page.wait_for_function("() => pyengineLive.saved !== null", timeout=30_000)
    saved = page.evaluate("() => pyengineLive.saved")
    reps = page.evaluate("() => pyengineLive.repetitions")
    print(
        f"\nframe-to-count latency in the page: p50 {stats['p50']:.0f} ms, "
        f"p95 {stats['p95']:.0f} ms over {stats['n']} frames ({stats['dropped']} dropped)"
    )
    assert saved, "the live session was not saved"
    assert saved["counts"] == {"squats_down": truth["reps"], "pushups_down": 0}
    assert page.inner_text('.counter[data-exercise="squats_down"] .count') == str(truth["reps"])
    assert page.locator("#live-reps li").count() == truth["reps"]
    assert [r["number"] for r in reps] == list(range(1, truth["reps"] + 1))
    windows = [(r["start_s"], r["end_s"]) for r in reps]
    assert windows == [(r["start_s"], r["end_s"]) for r in saved["repetitions"]["squats_down"]]
    for event in truth["events"]:  # the clip's own repetitions, in its first pass
        assert any(a - LIVE_TOLERANCE_S <= event <= b + LIVE_TOLERANCE_S for a, b in windows)
    assert windows[-1][1] < truth["duration_s"]
    assert stats["n"] >= 30 and 0 < stats["p50"] <= stats["p95"]
    assert "latency p50" in page.inner_text("#live-latency")


def test_an_uploaded_clip_shows_its_count_and_plays(page, videos_dir, truth, screenshots):
    page.click("nav a[data-tab=upload]")
    page.set_input_files("#upload-file", str(videos_dir / f"{CLIP}.mp4"))
    page.click("#upload-button")
    page.wait_for_selector("#upload-progress:not([hidden])", timeout=30_000)
    page.wait_for_function(
        "() => pyengineUpload.job && ['done', 'failed'].includes(pyengineUpload.job.status)",
        timeout=UPLOAD_TIMEOUT_MS,
    )
    job = page.evaluate("() => pyengineUpload.job")
    assert job["status"] == "done", job
    row = '#upload-counts tr[data-exercise="squats_down"] .count'
    assert page.inner_text(row) == str(truth["reps"])
    lane = '#upload-timeline rect[data-lane="repetitions: squats_down"]'
    assert page.locator(lane).count() == truth["reps"]
    assert "Saved as session" in page.inner_text("#message")
    played = page.evaluate(PLAY_VIDEO)
    page.screenshot(path=str(screenshots / "upload.png"), full_page=True)
    assert played.get("error") is None, f"the annotated video does not play: {played}"
    assert (played["width"], played["height"]) == (1280, 720)
    assert played["duration"] == pytest.approx(truth["duration_s"], abs=0.2)
    assert played["advanced"] > 0


PLAY_VIDEO = """async () => {
  const video = document.querySelector('#upload-video');
  const failed = () => ({ error: video.error ? `${video.error.code} ${video.error.message}`
    : `readyState ${video.readyState}` });
  if (video.readyState < 2) {
    const ok = await new Promise((resolve) => {
      video.addEventListener('loadeddata', () => resolve(true), { once: true });
      video.addEventListener('error', () => resolve(false), { once: true });
      setTimeout(() => resolve(false), 20000);
    });
    if (!ok) return failed();
  }
  video.currentTime = 5;
  await new Promise((resolve) => video.addEventListener('seeked', resolve, { once: true }));
  const from = video.currentTime;
  await video.play();
  await new Promise((resolve) => setTimeout(resolve, 800));
  video.pause();
  return { width: video.videoWidth, height: video.videoHeight, duration: video.duration,
           advanced: video.currentTime - from, error: video.error ? video.error.code : null };
}"""


def test_history_lists_both_sessions_with_plots_and_csv(page, truth, screenshots):
    page.click("nav a[data-tab=history]")
    page.wait_for_selector("#history-table tbody tr")
    for source in ("live", "upload"):
        row = page.locator(f'#history-table tbody tr[data-source="{source}"]')
        assert row.count() == 1, source
        assert row.locator("td.count").inner_text() == str(truth["reps"])
    upload_row = page.locator('#history-table tbody tr[data-source="upload"]')
    assert f"{CLIP}.mp4" in upload_row.inner_text()
    today = datetime.now().strftime("%Y-%m-%d")  # the page groups by the browser's day
    bar = page.locator(f'#history-chart rect[data-day="{today}"][data-exercise="squats_down"]')
    assert bar.get_attribute("data-reps") == str(2 * truth["reps"])
    assert page.locator("#rep-chart rect").count() == truth["reps"]
    csv_text = page.evaluate("async () => (await fetch('/api/sessions.csv')).text()")
    rows = list(csv.DictReader(csv_text.splitlines()))
    squats = [r for r in rows if r["exercise"] == "squats_down"]
    assert sorted(r["source"] for r in squats) == ["live", "upload"]
    assert all(r["repetitions"] == str(truth["reps"]) for r in squats)
    page.screenshot(path=str(screenshots / "history.png"), full_page=True)


def test_bad_input_shows_a_clear_message_in_the_page(page, served, screenshots):
    page.click("nav a[data-tab=upload]")
    page.set_input_files(
        "#upload-file",
        files=[{"name": "notes.mp4", "mimeType": "video/mp4", "buffer": b"my notes\n" * 50}],
    )
    page.click("#upload-button")
    page.wait_for_function(
        "() => document.querySelector('#message').textContent.includes('not a video')"
    )
    assert page.inner_text("#message").startswith("notes.mp4: not a video")
    page.screenshot(path=str(screenshots / "not-a-video.png"))
    closed = page.evaluate(GARBAGE_SOCKET)
    assert closed["code"] == 1007 and "must be JSON" in closed["message"]
    assert page.evaluate("async () => (await fetch('/api/health')).status") == 200


GARBAGE_SOCKET = """() => new Promise((resolve) => {
  const socket = new WebSocket(`ws://${location.host}/ws/live`);
  let message = null;
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.type === 'ready') socket.send('garbage');
    if (data.type === 'error') message = data.message;
  };
  socket.onclose = (event) => resolve({ code: event.code, message });
})"""


def test_a_log_that_is_not_sqlite_is_named_in_the_page(playwright, tmp_path, screenshots):
    bad = tmp_path / "notes.sqlite"
    bad.write_text("not a database\n", encoding="utf-8")
    with serve(bad, folder=tmp_path) as server:
        context = _browser(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            page.goto(server.url + "#history")
            page.wait_for_function(
                "() => document.querySelector('#message').textContent.includes('cannot be read')"
            )
            message = page.inner_text("#message")
            page.screenshot(path=str(screenshots / "bad-log.png"))
        finally:
            context.close()
        assert server.alive()
    assert f"{bad}: is not a SQLite database" in message
    assert bad.read_text(encoding="utf-8") == "not a database\n"
