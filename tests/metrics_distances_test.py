import numpy as np
import pytest
import scipy.linalg

from tfgan import metrics


def _reference_fid(x, y):
  """The textbook computation in float64 with scipy's general matrix square root."""
  mu1, mu2 = x.mean(0), y.mean(0)
  s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
  covmean = scipy.linalg.sqrtm(s1 @ s2).real
  return ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean)


def test_streaming_moments_match_numpy_in_any_batching():
  rng = np.random.default_rng(0)
  x = rng.normal(3.0, 2.0, (1000, 16)).astype(np.float32)
  m = metrics.Moments(16)
  for part in np.array_split(x, 7):
    m.update(part)
  mu, sigma = m.result()
  np.testing.assert_allclose(mu, x.astype(np.float64).mean(0), rtol=1e-12)
  np.testing.assert_allclose(sigma, np.cov(x.astype(np.float64), rowvar=False), rtol=1e-9,
                             atol=1e-12)


def test_frechet_distance_matches_scipy_reference_within_1e6():
  rng = np.random.default_rng(1)
  x = rng.normal(size=(2000, 32)) @ rng.normal(size=(32, 32))
  y = rng.normal(0.3, 1.5, size=(1500, 32)) @ rng.normal(size=(32, 32))
  mx, my = metrics.Moments(32), metrics.Moments(32)
  mx.update(x)
  my.update(y)
  fid = metrics.frechet_distance(*mx.result(), *my.result())
  assert fid == pytest.approx(_reference_fid(x, y), rel=1e-6)


def test_frechet_distance_closed_form_for_known_gaussians():
  # Diagonal covariances commute: d^2 = |mu1 - mu2|^2 + sum (sqrt(a) - sqrt(b))^2.
  a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 16.0])
  mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
  expected = 1 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + (3 - 4) ** 2
  assert metrics.frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected,
                                                                                     rel=1e-12)


def test_fid_of_a_set_with_itself_is_zero_to_rounding():
  rng = np.random.default_rng(2)
  x = rng.normal(size=(500, 64))
  m = metrics.Moments(64)
  m.update(x)
  mu, sigma = m.result()
  assert abs(metrics.frechet_distance(mu, sigma, mu, sigma)) < 1e-8


def test_kid_is_zero_within_its_spread_for_one_distribution_and_positive_otherwise():
  rng = np.random.default_rng(3)
  a, b = rng.normal(size=(2000, 32)), rng.normal(size=(2000, 32))
  mean, std = metrics.kernel_inception_distance(a, b, num_subsets=50, subset_size=500)
  assert abs(mean) < 2 * std / np.sqrt(50) + 1e-3
  shifted, _ = metrics.kernel_inception_distance(a, b + 0.5, num_subsets=50, subset_size=500)
  assert shifted > 10 * abs(mean) and shifted > 0


def test_kid_unbiased_estimator_by_hand_on_a_tiny_case():
  x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
  y = np.array([[2.0, 0.0], [0.0, 0.0], [0.5, -1.0]])
  k = lambda a, b: (a @ b / 2 + 1) ** 3  # noqa: E731
  kxx = sum(k(x[i], x[j]) for i in range(3) for j in range(3) if i != j) / 6
  kyy = sum(k(y[i], y[j]) for i in range(3) for j in range(3) if i != j) / 6
  kxy = sum(k(x[i], y[j]) for i in range(3) for j in range(3)) / 9
  mean, std = metrics.kernel_inception_distance(x, y, num_subsets=1, subset_size=3)
  assert mean == pytest.approx(kxx + kyy - 2 * kxy) and std == 0


def test_inception_score_of_confident_even_predictions_is_the_class_count():
  probs = np.eye(10)[np.arange(1000) % 10]
  mean, std = metrics.inception_score(probs, splits=10)
  assert mean == pytest.approx(10.0) and std == pytest.approx(0.0, abs=1e-12)
  collapsed, _ = metrics.inception_score(np.eye(10)[np.zeros(1000, int)])
  assert collapsed == pytest.approx(1.0)
  uniform, _ = metrics.inception_score(np.full((100, 10), 0.1))
  assert uniform == pytest.approx(1.0)


def test_precision_recall_separate_quality_from_coverage():
  rng = np.random.default_rng(4)
  real = rng.normal(size=(1000, 8))
  p, r = metrics.precision_recall(real, rng.normal(size=(1000, 8)), block=128)
  # With k = 3 the balls miss some of a second sample of the same distribution (~15% in 8-d).
  assert p > 0.75 and r > 0.75
  # A generator that covers one small region: its samples are realistic, coverage is poor.
  collapsed = 0.1 * rng.normal(size=(1000, 8))
  p, r = metrics.precision_recall(real, collapsed)
  assert p > 0.95 and r < 0.1
  # Samples far from the data: neither.
  p, r = metrics.precision_recall(real, rng.normal(size=(1000, 8)) + 10)
  assert p == 0 and r == 0


def test_precision_recall_brute_force_on_a_small_set():
  rng = np.random.default_rng(5)
  real, fake = rng.normal(size=(40, 3)), rng.normal(0.5, 1, size=(30, 3))

  def radii(x):
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    return np.sort(d, 1)[:, 3]

  def coverage(points, centres, r):
    d = np.linalg.norm(points[:, None] - centres[None], axis=-1)
    return (d <= r[None]).any(1).mean()

  p, r = metrics.precision_recall(real, fake, k=3, block=7)
  assert p == pytest.approx(coverage(fake, real, radii(real)))
  assert r == pytest.approx(coverage(real, fake, radii(fake)))


def test_class_report_full_coverage_and_collapse():
  even = np.eye(10)[np.arange(1000) % 10] * 0.9 + 0.01
  report = metrics.class_report(even, asked=np.arange(1000) % 10)
  assert report["classes_hit"] == 10 and report["kl_uniform"] == pytest.approx(0, abs=1e-12)
  assert report["confidence"] == pytest.approx(0.91) and report["label_accuracy"] == 1.0
  ones = np.eye(10)[np.ones(1000, int)]
  report = metrics.class_report(ones)
  assert report["classes_hit"] == 1 and report["kl_uniform"] == pytest.approx(np.log(10))
  # 1% is the threshold: 10 of 1000 samples count, 9 do not.
  labels = np.array([0] * 981 + [1] * 10 + [2] * 9)
  report = metrics.class_report(np.eye(3)[labels])
  assert report["classes_hit"] == 2
  assert report["class_min"] == pytest.approx(0.009) and report["class_max"] == 0.981
  assert (report := metrics.class_report(even))["class_min"] == report["class_max"] == 0.1
  assert metrics.class_report(np.eye(4)[labels])["class_min"] == 0.0  # a class never drawn


def test_streaming_inception_score_matches_the_stored_computation():
  from tfgan.metrics import evaluation
  rng = np.random.default_rng(6)
  logits = rng.normal(0, 3, size=(1003, 7))
  spec = evaluation.MetricSpec("is", 1003, "inception")
  acc = evaluation._Accumulator(spec)
  for part in np.array_split(np.arange(1003), 9):  # batches that straddle the splits
    acc.update(np.zeros((len(part), 2)), logits[part], None)
  streamed = acc.result("is", None, 0)
  mean, std = metrics.inception_score(evaluation._softmax(logits), splits=10)
  assert streamed["is"] == pytest.approx(mean, rel=1e-10)
  assert streamed["is_std"] == pytest.approx(std, rel=1e-8)
