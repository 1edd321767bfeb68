"""tfgan.demo through its HTTP API (gradio_client) against a live server on 127.0.0.1, over the
suite's finished runs of every family: each endpoint's output against the library function
called directly, bad inputs answered with a message, nothing written into the runs, no
request leaving the machine. The server is built as `python -m tfgan.demo` builds it: the
networks in the demo's model process (tfgan.demo.worker), which makes no HTTP request (the
outside-request guard watches this process, where Gradio and its client run)."""

import importlib.util
import os
import socket

import numpy as np
import pytest

if importlib.util.find_spec("gradio") is None:  # not imported here: tfgan.demo must be first
  pytest.skip("tfgan[demo] (Gradio) is not installed", allow_module_level=True)

from conftest import run_cli, snapshot, write_image  # noqa: E402
from tfgan import generation, images, translation  # noqa: E402
from tfgan.demo import runs as runs_lib  # noqa: E402
from tfgan.demo.translate import display  # noqa: E402

LOCAL = ("127.0.0.1", "localhost", "::1", "0.0.0.0", None)
LIMITS = dict(max_bytes=300_000, max_pixels=96 * 96)  # small, so the tests can exceed them
_SERVED = {}  # the server fixture's gr.Blocks (test_a_stopped_model_process_is_named)


@pytest.fixture(scope="module")
def outside():
  """Every host name this process looked up that is not this machine (refused), while the
  module's server and client run: the demo must need none."""
  seen, real = [], socket.getaddrinfo

  def guarded(host, *args, **kwargs):
    if host not in LOCAL:
      seen.append(host)
      raise socket.gaierror(-3, "outside requests are refused in this test")
    return real(host, *args, **kwargs)

  socket.getaddrinfo = guarded
  yield seen
  socket.getaddrinfo = real


@pytest.fixture(scope="module")
def server(finished_runs, outside, tmp_path_factory):
  """(url, gradio_client.Client, the served runs' snapshots before) of the demo on every
  finished run, limits LIMITS."""
  from tfgan import demo
  before = {name: snapshot(path) for name, path in finished_runs.items()}
  blocks = demo.app(list(finished_runs.values()), demo.Limits(**LIMITS), separate=True)
  url = demo.launch(blocks, port=None, block=False)
  from gradio_client import Client
  client = Client(url, verbose=False, download_files=str(tmp_path_factory.mktemp("client")))
  _SERVED["blocks"] = blocks
  yield url, client, before
  demo.close(blocks)


def _read(path):
  from PIL import Image
  with Image.open(path) as image:
    return np.asarray(image)


def test_every_run_has_its_tab_endpoints(server):
  _, client, _ = server
  names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
  assert names == {"/mnist_cgan_generate", "/mnist_cgan_interpolate", "/edges2face_translate",
                   "/grey_cycle_translate", "/sr2x_translate", "/inpaint_fill",
                   "/style_generate", "/style_mix", "/style_project", "/style_mix_projected",
                   "/style_walk"}


def test_generate_and_interpolate_match_the_library(server, finished_runs, tmp_path):
  _, client, _ = server
  g = generation.load_generator(finished_runs["mnist_cgan"])
  grid, png, npz = client.predict(3, 20, "every class (one row each)",
                                  api_name="/mnist_cgan_generate")
  fake, z, labels, rows = generation.sample(g, 20, seed=3)
  want = images.make_grid(fake, rows=rows)  # what tfgan.sample --seed=3 --num=20 writes
  np.testing.assert_array_equal(_read(grid), want[..., 0])
  np.testing.assert_array_equal(_read(png), want[..., 0])
  # The .npz renders the same images again (tfgan.sample --latents).
  z_back, labels_back = generation.load_latents(npz, g)
  np.testing.assert_array_equal(z_back, z)
  np.testing.assert_array_equal(labels_back, labels)
  # Another seed, one class: other images, every label that class.
  other, _, npz7 = client.predict(4, 6, "7", api_name="/mnist_cgan_generate")
  assert generation.load_latents(npz7, g)[1].tolist() == [7] * 6
  assert _read(other).shape != _read(grid).shape or (_read(other) != _read(grid)).any()
  strip = client.predict(1, 2, 5, "3", api_name="/mnist_cgan_interpolate")
  dim = generation.latent_dim_of(g)
  path = generation.slerp(generation.latents(1, dim, 1)[0], generation.latents(1, dim, 2)[0],
                          np.linspace(0, 1, 5))
  want = images.make_grid(generation.generate(g, path, np.full(5, 3, np.int32)), rows=1)
  np.testing.assert_array_equal(_read(strip), want[..., 0])


def test_translate_tabs_match_tfgan_translate(server, finished_runs, tmp_path):
  _, client, _ = server
  from gradio_client import handle_file
  from tfgan.metrics import restoration
  rng = np.random.default_rng(0)
  photo = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)  # not a size the U-Net takes
  write_image(str(tmp_path / "photo.png"), photo)
  upload = handle_file(str(tmp_path / "photo.png"))

  # Without "from a photo", an RGB upload is read as grey, as tfgan.translate decodes files
  # for a 1-channel network.
  shown, _ = client.predict(upload, False, api_name="/edges2face_translate")
  import tensorflow as tf
  np.testing.assert_array_equal(_read(shown), tf.image.rgb_to_grayscale(photo).numpy()[..., 0])
  shown, out = client.predict(upload, True, api_name="/edges2face_translate")
  g = generation.load_generator(finished_runs["edges2face"])
  config = runs_lib.open_runs([finished_runs["edges2face"]], load=False)[0].flat_config()
  edges = np.asarray(translation.input_transform(config)(photo))  # --derive
  np.testing.assert_array_equal(_read(shown), edges[..., 0])
  want = images.to_uint8(translation.translate_image(g, photo, translation.input_transform(
      config)))
  np.testing.assert_array_equal(_read(out), want)
  assert _read(out).shape == (20, 24, 3)

  shown, ab, ba = client.predict(upload, False, api_name="/grey_cycle_translate")
  run = finished_runs["grey_cycle"]
  g_ab = generation.load_generator(run)
  g_ba = generation.load_generator(os.path.join(run, "generator_ba.keras"))
  for served, g in ((ab, g_ab), (ba, g_ba)):
    np.testing.assert_array_equal(_read(served), display(images.to_uint8(
        translation.translate_image(g, photo))))
  assert _read(ab).shape[:2] == _read(ba).shape[:2] == (20, 24)
  assert (_read(ab) != _read(ba)).any()  # two generators, two outputs

  shown, out, bicubic = client.predict(upload, False, api_name="/sr2x_translate")
  g = generation.load_generator(finished_runs["sr2x"])
  np.testing.assert_array_equal(_read(out), images.to_uint8(translation.translate_image(g,
                                                                                      photo)))
  assert _read(out).shape == (40, 48, 3) == _read(bicubic).shape
  np.testing.assert_array_equal(_read(bicubic), images.to_uint8(restoration.bicubic_upsample(
      photo[None].astype(np.float32) / 127.5 - 1, 2)[0]))


def _editor(tmp_path, photo, hole):
  """An ImageEditor value as the page sends it: the photo and one RGBA layer painted (alpha
  255) where `hole` is True, transparent elsewhere."""
  from gradio_client import handle_file
  layer = np.full(photo.shape[:2] + (4,), [255, 255, 255, 0], np.uint8)  # colour, no alpha
  layer[hole] = [0, 0, 0, 255]  # painted: only the alpha says so
  write_image(str(tmp_path / "face.png"), photo)
  write_image(str(tmp_path / "layer.png"), layer)
  return {"background": handle_file(str(tmp_path / "face.png")),
          "layers": [handle_file(str(tmp_path / "layer.png"))], "composite": None}


def test_a_painted_hole_is_filled_and_known_pixels_are_kept(server, finished_runs, tmp_path):
  _, client, _ = server
  from tfgan.metrics import inpainting
  rng = np.random.default_rng(1)
  photo = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
  hole = np.zeros((16, 16), bool)
  hole[3:9, 4:12] = True
  holed, filled, diffusion = client.predict(_editor(tmp_path, photo, hole),
                                            "painted (the brush)", api_name="/inpaint_fill")
  filled = _read(filled)
  np.testing.assert_array_equal(filled[~hole], photo[~hole])  # known pixels exact
  g = generation.load_generator(finished_runs["inpaint"])
  want = images.to_uint8(translation.inpaint_image(g, photo, hole[..., None].astype(
      np.float32)))
  np.testing.assert_array_equal(filled, want)
  assert (filled[hole] != photo[hole]).any()
  np.testing.assert_array_equal(_read(holed)[hole], 255)
  x = photo[None].astype(np.float32) / 127.5 - 1
  np.testing.assert_array_equal(_read(diffusion), images.to_uint8(inpainting.diffusion_fill(
      x, hole[None, ..., None].astype(np.float32))[0]))
  # A mask kind instead of the brush: the centre box of the run's --centre_fraction.
  _, centre, _ = client.predict(_editor(tmp_path, photo, np.zeros_like(hole)), "centre",
                                api_name="/inpaint_fill")
  centre = _read(centre)
  assert (centre[:4] == photo[:4]).all() and (centre[6:10, 6:10] != photo[6:10, 6:10]).any()


def test_the_stylegan2_tab_truncates_mixes_projects_and_walks_as_the_library(
    server, finished_runs, tmp_path):
  _, client, _ = server
  from gradio_client import handle_file
  from tfgan import projection, styles
  g = generation.load_generator(finished_runs["style"])
  grid, _, _ = client.predict(3, 4, 0.5, "every class (one row each)", api_name="/style_generate")
  want = images.make_grid(generation.sample(g, 4, seed=3, psi=0.5)[0])  # tfgan.sample's grid
  np.testing.assert_array_equal(_read(grid), want)
  mixed = client.predict(1, 2, 2, 1.0, "every class (one row each)", api_name="/style_mix")
  want = styles.style_mix(g, styles.seed_ws(g, [1]), styles.seed_ws(g, [2]), 2)
  np.testing.assert_array_equal(_read(mixed), images.make_grid(want, rows=2))
  # A photo twice the run's side: framed (centre crop, resized) and projected in W.
  photo = np.random.default_rng(2).integers(0, 256, (32, 32, 3), dtype=np.uint8)
  write_image(str(tmp_path / "face.png"), photo)
  pair, npz, note = client.predict(handle_file(str(tmp_path / "face.png")), 10,
                                   api_name="/style_project")
  pair = _read(pair)
  target = projection.frame(photo, 16, projection.crop_fraction_of(
      runs_lib.open_runs([finished_runs["style"]], load=False)[0].flat_config()))
  np.testing.assert_array_equal(pair[2:18, 2:18], images.to_uint8(target))
  ws = styles.load_ws(npz, g)
  assert ws.shape == (1, g.num_ws, 8) and "PSNR" in note and "10 steps" in note
  walked = client.predict(handle_file(npz), 5, 3, 1.0, api_name="/style_walk")
  path = styles.interpolate_ws(ws, styles.seed_ws(g, [5]), 3)
  np.testing.assert_array_equal(_read(walked), images.make_grid(styles.synthesize(g, path),
                                                                rows=1))
  pmixed = client.predict(handle_file(npz), 5, 2, 1.0, api_name="/style_mix_projected")
  want = styles.style_mix(g, ws, styles.seed_ws(g, [5]), 2)
  np.testing.assert_array_equal(_read(pmixed), images.make_grid(want, rows=2))


def test_bad_inputs_get_a_message_and_the_server_keeps_serving(server, tmp_path):
  _, client, _ = server
  from gradio_client import handle_file
  from gradio_client.exceptions import AppError
  (tmp_path / "notes.png").write_text("not an image")
  with pytest.raises(AppError, match="the upload is not an image this demo reads"):
    client.predict(handle_file(str(tmp_path / "notes.png")), False,
                   api_name="/edges2face_translate")
  write_image(str(tmp_path / "big.png"), np.zeros((100, 100, 3), np.uint8))  # 10,000 pixels
  with pytest.raises(AppError, match=r"100x100 pixels; this demo takes up to 9,216"):
    client.predict(handle_file(str(tmp_path / "big.png")), False, api_name="/sr2x_translate")
  noise = np.random.default_rng(0).integers(0, 256, (400, 400, 3), dtype=np.uint8)
  write_image(str(tmp_path / "heavy.png"), noise)  # ~480 kB > max_bytes
  with pytest.raises(ValueError, match="exceeds the maximum file size"):
    client.predict(handle_file(str(tmp_path / "heavy.png")), False, api_name="/sr2x_translate")
  empty = _editor(tmp_path, np.zeros((16, 16, 3), np.uint8), np.zeros((16, 16), bool))
  with pytest.raises(AppError, match="the mask is empty: paint over the part to fill"):
    client.predict(empty, "painted (the brush)", api_name="/inpaint_fill")
  with pytest.raises(AppError, match="greater than maximum value 5"):  # Gradio's slider
    client.predict(1, 2, 9, 1.0, "every class (one row each)", api_name="/style_mix")
  with pytest.raises(AppError, match="project a photo first"):
    client.predict(None, 5, 3, 1.0, api_name="/style_walk")
  with pytest.raises(AppError, match="12 is not in the list of choices"):  # Gradio's check
    client.predict(0, 4, "12", api_name="/mnist_cgan_generate")
  # Still serving.
  grid, _, _ = client.predict(0, 4, "every class (one row each)",
                              api_name="/mnist_cgan_generate")
  assert _read(grid).size


def test_grey_rgba_and_16_bit_uploads_are_read_as_rgb(tmp_path):
  from PIL import Image
  grey = np.arange(48, dtype=np.uint8).reshape(6, 8)
  Image.fromarray(grey, "L").save(tmp_path / "grey.png")
  np.testing.assert_array_equal(runs_lib.read_image(str(tmp_path / "grey.png")),
                                np.repeat(grey[..., None], 3, -1))
  rgba = np.zeros((6, 8, 4), np.uint8)
  rgba[..., 0], rgba[..., 3] = 200, 0  # fully transparent red -> white
  rgba[0, 0] = [10, 20, 30, 255]
  Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
  out = runs_lib.read_image(str(tmp_path / "rgba.png"))
  assert out[0, 0].tolist() == [10, 20, 30] and out[1, 1].tolist() == [255, 255, 255]
  deep = (np.arange(48, dtype=np.uint16).reshape(6, 8) * 1300)
  Image.fromarray(deep).save(tmp_path / "deep.png")  # a 16-bit grey PNG (mode I;16)
  with Image.open(tmp_path / "deep.png") as check:
    assert check.mode.startswith("I")
  np.testing.assert_array_equal(runs_lib.read_image(str(tmp_path / "deep.png"))[..., 0],
                                np.round(deep / 65535 * 255).astype(np.uint8))


def test_the_runs_are_left_as_they_were_and_nothing_left_the_machine(server, finished_runs,
                                                                    outside):
  # Runs last in this module (pytest keeps file order): after every endpoint was called.
  _, _, before = server
  assert {name: snapshot(path) for name, path in finished_runs.items()} == before
  assert outside == []


def test_runs_the_demo_cannot_serve_are_named_at_launch(tmp_path, finished_runs):
  with pytest.raises(runs_lib.DemoError, match="give at least one --workdir"):
    runs_lib.open_runs([])
  with pytest.raises(runs_lib.DemoError, match=f"--workdir={tmp_path}/nope: no such folder"):
    runs_lib.open_runs([str(tmp_path / "nope")])
  (tmp_path / "plain").mkdir()
  with pytest.raises(runs_lib.DemoError, match="no config.json; not a tfgan run directory"):
    runs_lib.open_runs([str(tmp_path / "plain")])
  unfinished = tmp_path / "a" / "edges2face"
  unfinished.mkdir(parents=True)
  (unfinished / "config.json").write_text(open(os.path.join(finished_runs["edges2face"],
                                                            "config.json")).read())
  with pytest.raises(runs_lib.DemoError, match=f"--workdir={unfinished} holds no "
                                               f"generator.keras: a run writes its exports"):
    runs_lib.open_runs([str(unfinished)])
  run = finished_runs["mnist_cgan"]
  with pytest.raises(runs_lib.DemoError, match="are the same run; give it once"):
    runs_lib.open_runs([run, run + "/"])
  # Two runs of one name: each tab is labelled with its path, and endpoints stay apart.
  twin = tmp_path / "b" / "mnist_cgan"
  import shutil
  shutil.copytree(run, twin)
  served = runs_lib.open_runs([run, str(twin)], load=False)
  assert [r.name for r in served] == [run, str(twin)]
  assert len({r.api for r in served}) == 2
  result = run_cli("tfgan.demo.__main__", f"--workdir={tmp_path}/plain")
  assert result.returncode == 1
  assert f"--workdir={tmp_path}/plain holds no config.json" in result.stderr


def test_importing_the_demo_turns_telemetry_and_analytics_off(server):
  # This module imported tfgan.demo before anything imported Gradio or huggingface_hub (which
  # read the variables once, at import); the outside-requests check above is the proof that
  # counts, this one says which switch.
  import huggingface_hub.constants
  from tfgan import demo
  assert huggingface_hub.constants.HF_HUB_DISABLE_TELEMETRY
  assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
  assert os.environ["GRADIO_TEMP_DIR"].startswith(demo.scratch.root())


# The browser test: Debian's chromium and chromium-driver (.ci/run installs them), driven by
# selenium through the system chromedriver: Selenium Manager never runs (a driver path is
# given; SE_MANAGER_PATH points at /bin/false to be sure), no browser is downloaded.
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
  missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
  if missing or importlib.util.find_spec("selenium") is None:
    pytest.skip(f"no browser for the page test: {missing or 'selenium'} missing (apt-get "
                f"install chromium chromium-driver; pip install selenium)")
  os.environ["SE_MANAGER_PATH"] = "/bin/false"
  from selenium import webdriver
  from selenium.webdriver.chrome.service import Service
  options = webdriver.ChromeOptions()
  options.binary_location = CHROMIUM
  profile = tmp_path_factory.mktemp("chromium_profile")
  for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--window-size=1280,1600", f"--user-data-dir={profile}", "--no-first-run",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-default-apps"):
    options.add_argument(arg)
  options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
  driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
  driver.get(server[0])
  yield driver
  driver.quit()


def _fetch(driver, element_id):
  """The pixels of the image shown in #element_id (its src, fetched from the server)."""
  import io
  import urllib.request
  from PIL import Image
  src = driver.find_element("css selector", f"#{element_id} img").get_attribute("src")
  with urllib.request.urlopen(src) as response:
    return np.asarray(Image.open(io.BytesIO(response.read())))


def _src(driver, element_id):
  found = driver.find_elements("css selector", f"#{element_id} img")
  return found[0].get_attribute("src") if found else None


def _open_tab(driver, name):
  from selenium.webdriver.support.ui import WebDriverWait
  tab = WebDriverWait(driver, 30).until(lambda d: next(
      (b for b in d.find_elements("css selector", "button[role=tab]") if b.text == name),
      None))
  tab.click()


def _screenshot(driver, name, tmp_path):
  """Saves the page to tmp_path, and to $TFGAN_DEMO_SCREENSHOTS/<name>.png when set (how the
  docs' screenshots are made)."""
  driver.save_screenshot(str(tmp_path / f"{name}.png"))
  folder = os.environ.get("TFGAN_DEMO_SCREENSHOTS")
  if folder:
    driver.save_screenshot(os.path.join(folder, f"{name}.png"))


def test_a_real_browser_moves_the_seed_uploads_and_paints_a_hole(browser, server,
                                                                finished_runs, tmp_path):
  import json
  from urllib.parse import urlparse
  from selenium.webdriver.common.action_chains import ActionChains
  from selenium.webdriver.support.ui import WebDriverWait
  driver, wait = browser, WebDriverWait(browser, 60)
  # Noise tab (the first): two seeds, two different grids, each the library's.
  g = generation.load_generator(finished_runs["mnist_cgan"])
  shown = []
  for seed in (5, 6):
    box = wait.until(lambda d: d.find_element("css selector",
                                              "#mnist_cgan_seed input[type=number]"))
    box.clear()
    box.send_keys(str(seed))
    before = _src(driver, "mnist_cgan_grid")
    driver.find_element("css selector", "#mnist_cgan_generate").click()
    wait.until(lambda d: _src(d, "mnist_cgan_grid") not in (None, before))
    shown.append(_fetch(driver, "mnist_cgan_grid"))
    fake, _, _, rows = generation.sample(g, 64, seed=seed)
    np.testing.assert_array_equal(shown[-1], images.make_grid(fake, rows=rows)[..., 0])
  assert (shown[0] != shown[1]).any()
  _screenshot(driver, "demo_noise", tmp_path)

  # pix2pix tab: upload a photo; the output is tfgan.translate's.
  _open_tab(driver, "edges2face")
  photo = np.random.default_rng(2).integers(0, 256, (24, 32, 3), dtype=np.uint8)
  write_image(str(tmp_path / "photo.png"), photo)
  wait.until(lambda d: d.find_element("css selector", "#edges2face_upload input[type=file]")
             ).send_keys(str(tmp_path / "photo.png"))
  wait.until(lambda d: _src(d, "edges2face_upload"))  # uploaded and previewed
  driver.find_element("css selector", "#edges2face_translate").click()
  wait.until(lambda d: _src(d, "edges2face_output"))
  # A photo: "make the network's input from a photo" is ticked by default (tfgan.translate
  # --derive).
  config = runs_lib.open_runs([finished_runs["edges2face"]], load=False)[0].flat_config()
  want = images.to_uint8(translation.translate_image(
      generation.load_generator(finished_runs["edges2face"]), photo,
      translation.input_transform(config)))
  np.testing.assert_array_equal(_fetch(driver, "edges2face_output"), want)
  _screenshot(driver, "demo_pix2pix", tmp_path)

  # Inpainting tab: upload a face into the editor, paint one stroke, fill.
  _open_tab(driver, "inpaint")
  face = np.random.default_rng(3).integers(20, 200, (64, 64, 3), dtype=np.uint8)  # no white
  write_image(str(tmp_path / "face.png"), face)
  zoom = lambda d: d.find_element("css selector", "#inpaint_editor .zoom-number span").text  # noqa: E731
  shown_zoom = wait.until(lambda d: zoom(d) or None)
  driver.find_element("css selector", "#inpaint_editor input[type=file]").send_keys(
      str(tmp_path / "face.png"))
  try:  # the editor re-fits its zoom once the new background is in place
    WebDriverWait(driver, 10).until(lambda d: zoom(d) != shown_zoom)
  except Exception:  # noqa: BLE001  same zoom by chance: the pause below still applies
    pass
  import time
  time.sleep(0.5)
  for attempt in range(2):  # a stroke drawn while the background loads is lost: retry once
    canvas = driver.find_element("css selector", "#inpaint_editor canvas")
    strokes = ActionChains(driver, duration=50).move_to_element(canvas).click_and_hold()
    for _ in range(6):
      strokes = strokes.move_by_offset(8, 6)
    strokes.release().perform()
    time.sleep(0.5)
    before = _src(driver, "inpaint_filled")
    driver.find_element("css selector", "#inpaint_fill").click()
    try:
      wait.until(lambda d: _src(d, "inpaint_filled") not in (None, before))
      break
    except Exception:  # noqa: BLE001
      if attempt:
        raise
  filled = _fetch(driver, "inpaint_filled")
  holed = _fetch(driver, "inpaint_filled".replace("filled", "holed"))
  hole = (holed == 255).all(axis=-1)
  assert 0 < hole.sum() < hole.size / 2, hole.sum()
  np.testing.assert_array_equal(filled[~hole], face[~hole])  # known pixels unchanged
  want = images.to_uint8(translation.inpaint_image(
      generation.load_generator(finished_runs["inpaint"]), face,
      hole[..., None].astype(np.float32)))
  np.testing.assert_array_equal(filled, want)
  assert (filled[hole] != face[hole]).any()
  _screenshot(driver, "demo_inpaint", tmp_path)

  # StyleGAN2 tab: a seed at the default truncation (none), then the grid it shows.
  _open_tab(driver, "style")
  box = wait.until(lambda d: d.find_element("css selector", "#style_seed input[type=number]"))
  box.clear()
  box.send_keys("7")
  driver.find_element("css selector", "#style_generate").click()
  wait.until(lambda d: _src(d, "style_grid"))
  fake = generation.sample(generation.load_generator(finished_runs["style"]), 16, seed=7)[0]
  np.testing.assert_array_equal(_fetch(driver, "style_grid"), images.make_grid(fake))
  _screenshot(driver, "demo_stylegan2", tmp_path)

  # Every request the page made went to this machine.
  urls = []
  for entry in driver.get_log("performance"):
    message = json.loads(entry["message"])["message"]
    if message["method"] == "Network.requestWillBeSent":
      urls.append(message["params"]["request"]["url"])
  web = [u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss")]
  assert web and all(urlparse(u).hostname == "127.0.0.1" for u in web), [
      u for u in web if urlparse(u).hostname != "127.0.0.1"]


def test_the_command_line_names_a_taken_port(finished_runs):
  with socket.socket() as taken:
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    result = run_cli("tfgan.demo.__main__", f"--workdir={finished_runs['mnist_cgan']}",
                     f"--port={port}")
  assert result.returncode == 1
  assert f"--host=127.0.0.1 --port={port}: cannot serve there (Address already in use" in (
      result.stderr)
  assert "--port=0 takes the first free port" in result.stderr
  # Said before the runs load: no model process was started, no page built.
  assert "serving" not in result.stdout


def test_the_page_process_imports_no_tensorflow():
  # `python -m tfgan.demo` answers in ~8 s instead of 11-12 s because TensorFlow loads in the
  # model process while the page's process imports Gradio: the page's modules must not import
  # it (as `python -m` imports tfgan: sys.argv[0] is '-m' then).
  import subprocess
  import sys
  code = ("import sys; sys.argv = ['-m']; import tfgan; sys.argv = ['x']; "
          "import tfgan.demo.page, tfgan.demo.panels, tfgan.demo.noise, tfgan.demo.translate, "
          "tfgan.demo.inpaint, tfgan.demo.worker, tfgan.demo.runs, tfgan.demo.__main__; "
          "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
  result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
  assert result.returncode == 0, result.stderr
  assert result.stdout.strip() == "[]"


def custom_tab(run, limits):
  """A tab of a family outside tfgan (test_a_new_family_brings_its_own_tab)."""
  import gradio as gr
  gr.Markdown(f"custom tab of {run.name}, uploads up to {limits.max_pixels} pixels")


def test_a_new_family_brings_its_own_tab(finished_runs):
  import types
  from tfgan import demo
  (run,) = runs_lib.open_runs([finished_runs["mnist_cgan"]], load=False)
  run.family = types.SimpleNamespace(name="custom", demo_tab="demo_test:custom_tab")
  config = demo.app(runs=[run], limits=demo.Limits(max_pixels=123)).get_config_file()
  texts = [c["props"].get("value") for c in config["components"] if c["type"] == "markdown"]
  assert "custom tab of mnist_cgan, uploads up to 123 pixels" in texts
  run.family = types.SimpleNamespace(name="plain", demo_tab="")
  config = demo.app(runs=[run]).get_config_file()
  texts = [c["props"].get("value") for c in config["components"] if c["type"] == "markdown"]
  assert "**mnist_cgan**: family 'plain' has no demo tab." in texts


def test_a_stopped_model_process_is_named_and_the_page_keeps_serving(server):
  # Last in the module: it stops the server's model process.
  from gradio_client.exceptions import AppError
  _, client, _ = server
  worker = _SERVED["blocks"].tfgan_worker
  worker._process.kill()
  worker._process.wait()
  for _ in range(2):  # the page answers every later call with the same message
    with pytest.raises(AppError, match="the demo's model process stopped .exit code -9.; its "
                                       "error is in the log above. Restart the demo"):
      client.predict(0, 4, "every class (one row each)", api_name="/mnist_cgan_generate")
