"""Screenshots of `python -m tfgan.demo` tabs on trained runs, for the README and docs/demo.md.

  python docs/demo_screenshots.py --out=docs/images RUN [RUN ...]

Serves the demo on the runs (as `tfgan.demo.app` + `launch` do for the command line), opens
it in Debian's headless chromium through its chromedriver (as tests/demo_test.py's browser
test does: no browser download, Selenium Manager never runs), and in each run's tab does what a
user would first: a noise-to-image run generates the grid of seed 0; an image-to-image run
translates its first held-out example; an inpainting run fills its first held-out face's centre
box. Saves <out>/demo_<tab name>.png (or --names) per run, the page at 1280 px wide.
"""

import argparse
import os
import time

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def _driver(height):
  os.environ["SE_MANAGER_PATH"] = "/bin/false"
  from selenium import webdriver
  from selenium.webdriver.chrome.service import Service
  options = webdriver.ChromeOptions()
  options.binary_location = CHROMIUM
  for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              f"--window-size=1280,{height}", "--no-first-run",
              "--disable-background-networking", "--hide-scrollbars"):
    options.add_argument(arg)
  return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def _src(driver, element_id):
  found = driver.find_elements("css selector", f"#{element_id} img")
  return found[0].get_attribute("src") if found else None


def _click_first_example(driver, api):
  from selenium.webdriver.support.ui import WebDriverWait
  example = WebDriverWait(driver, 30).until(lambda d: next(iter(d.find_elements(
      "css selector", f"#{api}_examples tbody tr, #{api}_examples button.gallery-item")),
      None))
  example.click()
  time.sleep(1.5)  # the example loads into the input (the editor re-fits its zoom)


def shoot(driver, run, path):
  """Does the first action of `run`'s tab and saves the page to `path`."""
  from selenium.webdriver.support.ui import WebDriverWait
  wait = WebDriverWait(driver, 120)
  tab = wait.until(lambda d: next((b for b in d.find_elements("css selector", "button[role=tab]")
                                   if b.text == run.name), None))
  tab.click()
  family = run.config.model.family
  if family == "gan":
    button, result = f"{run.api}_generate", f"{run.api}_grid"
  elif family == "inpaint":
    _click_first_example(driver, run.api)
    next(r for r in driver.find_elements("css selector", "label")
         if r.text.strip() == "centre").click()
    button, result = f"{run.api}_fill", f"{run.api}_filled"
  else:
    _click_first_example(driver, run.api)
    button, result = f"{run.api}_translate", f"{run.api}_output"
  driver.find_element("css selector", f"#{button}").click()
  wait.until(lambda d: _src(d, result))
  time.sleep(1.0)  # the other outputs of the same answer
  driver.save_screenshot(path)
  return path


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--out", default="docs/images")
  parser.add_argument("--height", type=int, default=1500, help="window height, px")
  parser.add_argument("--names", default="", help="comma-separated file stems, one per run "
                      "(default: demo_<tab name>)")
  parser.add_argument("runs", nargs="+")
  args = parser.parse_args()
  names = args.names.split(",") if args.names else [None] * len(args.runs)
  from tfgan import demo
  runs = demo.open_runs(args.runs)
  blocks = demo.app(runs=runs)
  url = demo.launch(blocks, block=False)
  driver = _driver(args.height)
  try:
    driver.get(url)
    for run, name in zip(runs, names):
      path = os.path.join(args.out, f"{name or 'demo_' + run.api}.png")
      print("wrote", shoot(driver, run, path), flush=True)
  finally:
    driver.quit()
    blocks.close()


if __name__ == "__main__":
  main()
