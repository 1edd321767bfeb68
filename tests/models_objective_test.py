"""The objective each image-to-image network descends, as a whole (issue 30): one plain-SGD step
of the family's train_step moves every weight by -lr x the gradient of the hand-computed,
weighted total of that network's loss terms, evaluated where the step evaluates it (D before
its update; G after D's update for pix2pix and inpainting, before it for CycleGAN and ESRGAN).
Dropping a weight (`g_loss = l1` for `lambda_l1 * l1`), a term or a factor 1/2 fails here even
where each logged term is right."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import losses
from tfgan.models import adversarial, cyclegan, esrgan, inpaint, pix2pix
from tfgan.networks import gated, rrdb, unet

LR = 0.05


def _mean_per_example(values, b):
  return tf.reduce_mean(tf.reshape(tf.cast(values, tf.float32), [b, -1]), axis=1)


def _check_sgd_step(model, batch, phases):
  """phases: [(variables, total)] in the order the step updates them; total() computes that
  network's hand objective (a scalar) from the networks as they are. Each phase's gradient is
  taken with the earlier phases' weights updated and its own (and later ones') as before."""
  before = [[v.numpy().copy() for v in variables] for variables, _ in phases]
  model.train_step(batch)
  after = [[v.numpy().copy() for v in variables] for variables, _ in phases]

  def assign(k, values):
    for v, value in zip(phases[k][0], values):
      v.assign(value)

  for k, (variables, total) in enumerate(phases):
    for j in range(len(phases)):
      assign(j, after[j] if j < k else before[j])
    with tf.GradientTape() as tape:
      objective = total()
    grads = tape.gradient(objective, variables)
    moved = 0.0
    for v, b0, b1, g in zip(variables, before[k], after[k], grads):
      want = -LR * (np.zeros_like(b0) if g is None else g.numpy())
      np.testing.assert_allclose(b1 - b0, want, rtol=2e-3, atol=2e-7,
                                 err_msg=f"phase {k}: {v.path}")
      moved = max(moved, float(np.abs(b1 - b0).max()))
    assert moved > 1e-6, f"phase {k} did not move"
  for j in range(len(phases)):
    assign(j, after[j])


def _at(variables, values, fn):
  """fn() with `variables` set to `values` for the call (then set back)."""
  now = [v.numpy().copy() for v in variables]
  for v, value in zip(variables, values):
    v.assign(value)
  try:
    return fn()
  finally:
    for v, value in zip(variables, now):
      v.assign(value)


def _sgd(model):
  model.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR))
  return model


def _pix2pix(norm, **kwargs):
  keras.utils.set_random_seed(1)
  g = unet.UNetGenerator((16, 16, 1), 3, width=0.125, num_downs=4, norm=norm, dropout=False)
  d = unet.PatchDiscriminator((16, 16, 4), width=0.125, n_layers=1, norm=norm)
  g.build(g.input_shapes())
  d.build(d.input_shapes())
  return _sgd(pix2pix.Pix2Pix(g, d, losses.get("non_saturating"), **kwargs))


def _pairs(c_in=1, c_out=3, n=4, side=16):
  rng = np.random.default_rng(0)
  return (tf.constant(rng.uniform(-1, 1, (n, side, side, c_in)), tf.float32),
          tf.constant(rng.uniform(-1, 1, (n, side, side, c_out)), tf.float32))


def _fm(d_features, real_in, fake_in, b):
  real, fake = d_features(real_in)[:-1], d_features(fake_in)[:-1]
  return sum(4.0 / len(fake) * _mean_per_example(tf.abs(tf.stop_gradient(r) - f), b)
             for r, f in zip(real, fake))


def _r1(d, real_in, b):
  with tf.GradientTape() as tape:
    tape.watch(real_in)
    total = tf.reduce_sum(_mean_per_example(d(real_in, training=True), b))
  grads = tape.gradient(total, real_in)
  return tf.reduce_sum(tf.square(tf.reshape(grads, [b, -1])), axis=1)


@pytest.mark.parametrize("extras", [False, True], ids=["paper", "fm_r1_ramp"])
def test_pix2pix_descends_its_weighted_objectives(extras):
  lambda_l1, lambda_gan, fm_w, gamma = 3.0, 2.0, 5.0, 40.0
  options = adversarial.Extras(feature_matching_weight=fm_w, r1_gamma=gamma, ramp_steps=4) \
      if extras else None
  # R1 needs a D without batch norm; the paper's networks have it.
  model = _pix2pix("none" if extras else "batch", lambda_l1=lambda_l1, lambda_gan=lambda_gan,
                   extras=options)
  ramp = 1.0
  if extras:
    model.g_optimizer.iterations.assign(2)  # half way up the 4-step ramp
    ramp = 0.5
  x, y = _pairs()
  b = 4
  g, d = model.generator, model.discriminator

  def d_total():
    fake = tf.stop_gradient(g(x, training=True))
    real_in, fake_in = tf.concat([x, y], -1), tf.concat([x, fake], -1)
    rl = tf.reshape(d(real_in, training=True), [b, -1])
    fl = tf.reshape(d(fake_in, training=True), [b, -1])
    per = 0.5 * tf.reduce_mean(tf.math.softplus(-rl) + tf.math.softplus(fl), axis=1)
    if extras:
      per = per + gamma / 2 * _r1(d, real_in, b)
    return tf.reduce_mean(per)

  def g_total():
    g(x, training=True)  # the step's first G call (D's fakes): batch norm as in the step
    fake = g(x, training=True)
    l1 = tf.reduce_mean(tf.abs(y - fake), axis=[1, 2, 3])
    fake_in = tf.concat([x, fake], -1)
    gan = tf.reduce_mean(tf.math.softplus(-tf.reshape(d(fake_in, training=True), [b, -1])), 1)
    per = lambda_l1 * l1 + ramp * lambda_gan * gan
    if extras:
      per = per + fm_w * _fm(lambda z: d.features(z, training=True), tf.concat([x, y], -1),
                             fake_in, b)
    return tf.reduce_mean(per)

  _check_sgd_step(model, (x, y), [(d.trainable_variables, d_total),
                                  (g.trainable_variables, g_total)])


@pytest.mark.parametrize("extras", [False, True], ids=["deepfill", "fm_r1_ramp"])
def test_inpainting_descends_its_weighted_objectives(extras):
  hole_w, valid_w, adv_w, fm_w, gamma = 2.0, 0.5, 0.3, 4.0, 40.0
  keras.utils.set_random_seed(2)
  g = gated.GatedGenerator((16, 16, 3), width=0.125, stages=2)
  # No spectral norm: its power iteration would move with every call of the hand objective.
  d = unet.PatchDiscriminator((16, 16, 4), width=0.125, n_layers=1, norm="none")
  g.build(g.input_shapes())
  d.build(d.input_shapes())
  options = adversarial.Extras(feature_matching_weight=fm_w, r1_gamma=gamma, ramp_steps=3) \
      if extras else None
  model = _sgd(inpaint.Inpainter(g, d, losses.get("hinge"), hole_w, valid_w, adv_w,
                                 extras=options))
  ramp = 1.0
  if extras:
    model.g_optimizer.iterations.assign(1)
    ramp = 1.0 / 3.0
  rng = np.random.default_rng(3)
  y = tf.constant(rng.uniform(-1, 1, (4, 16, 16, 3)), tf.float32)
  m = np.zeros((4, 16, 16, 1), np.float32)
  m[:, 4:12, 3:10] = 1.0
  x = tf.concat([y * (1 - m), 2 * m - 1], -1)
  b = 4

  def masked(o, w):
    return tf.reduce_sum(tf.abs(o - y) * w, axis=[1, 2, 3]) / (tf.reduce_sum(w, [1, 2, 3]) * 3)

  def d_total():
    outputs, _ = g.stages(x, training=True)
    fake = tf.stop_gradient(tf.where(m > 0.5, outputs[-1], y * (1 - m)))
    real_in, fake_in = tf.concat([y, m], -1), tf.concat([fake, m], -1)
    rl = tf.reshape(d(real_in, training=True), [b, -1])
    fl = tf.reshape(d(fake_in, training=True), [b, -1])
    per = tf.reduce_mean(tf.nn.relu(1 - rl) + tf.nn.relu(1 + fl), axis=1)
    if extras:
      per = per + gamma / 2 * _r1(d, real_in, b)
    return tf.reduce_mean(per)

  def g_total():
    outputs, _ = g.stages(x, training=True)
    per = sum(hole_w * masked(o, m) + valid_w * masked(o, 1 - m) for o in outputs)
    fake_in = tf.concat([tf.where(m > 0.5, outputs[-1], y * (1 - m)), m], -1)
    gan = tf.reduce_mean(-tf.reshape(d(fake_in, training=True), [b, -1]), axis=1)
    per = per + ramp * adv_w * gan
    if extras:
      per = per + fm_w * _fm(lambda z: d.features(z, training=True), tf.concat([y, m], -1),
                             fake_in, b)
    return tf.reduce_mean(per)

  _check_sgd_step(model, (x, y), [(d.trainable_variables, d_total),
                                  (g.trainable_variables, g_total)])


@pytest.mark.parametrize("extras", [False, True], ids=["paper", "r1_ramp"])
def test_cyclegan_descends_its_weighted_objectives(extras):
  lambda_cycle, lambda_identity, gamma = 4.0, 0.3, 30.0
  from models_cyclegan_test import tiny_networks
  g_ab, g_ba, d_a, d_b = tiny_networks(4)
  options = adversarial.Extras(r1_gamma=gamma, ramp_steps=4) if extras else None
  model = _sgd(cyclegan.CycleGAN(g_ab, g_ba, d_a, d_b, losses.get("least_squares"),
                                 lambda_cycle=lambda_cycle, lambda_identity=lambda_identity,
                                 pool_size=0, seed=1, extras=options))
  ramp = 1.0
  if extras:
    model.g_optimizer.iterations.assign(1)  # a quarter of the way up the 4-step ramp
    ramp = 0.25
  a, b_images = _pairs(3, 3)
  n = 4
  l1 = lambda u, v: tf.reduce_mean(tf.abs(u - v), axis=[1, 2, 3])  # noqa: E731
  # tfgan's least-squares G loss is 1/2 (D - 1)^2; CycleGAN's is (D - 1)^2 (the docstring).
  adv = lambda d, fake: tf.reduce_mean(  # noqa: E731
      tf.square(tf.reshape(d(fake, training=True), [n, -1]) - 1.0), axis=1)

  def g_total():
    fake_b, fake_a = g_ab(a, training=True), g_ba(b_images, training=True)
    per = ramp * (adv(d_b, fake_b) + adv(d_a, fake_a))
    per = per + lambda_cycle * (l1(g_ba(fake_b, training=True), a) +
                                l1(g_ab(fake_a, training=True), b_images))
    per = per + lambda_cycle * lambda_identity * (l1(g_ab(b_images, training=True), b_images) +
                                                  l1(g_ba(a, training=True), a))
    return tf.reduce_mean(per)

  generators = g_ab.trainable_variables + g_ba.trainable_variables
  before_g = [v.numpy().copy() for v in generators]

  def d_total():
    # D's fakes are those of the G step, made before G's update.
    fake_b, fake_a = _at(generators, before_g, lambda: (
        tf.stop_gradient(g_ab(a, training=True)), tf.stop_gradient(g_ba(b_images, training=True))))
    per = 0.0
    for d, real, fake in ((d_a, a, fake_a), (d_b, b_images, fake_b)):
      r = tf.reshape(d(real, training=True), [n, -1])
      f = tf.reshape(d(fake, training=True), [n, -1])
      per = per + 0.5 * tf.reduce_mean(0.5 * tf.square(r - 1) + 0.5 * tf.square(f), axis=1)
      if extras:
        per = per + gamma / 2 * _r1(d, real, n)
    return tf.reduce_mean(per)

  _check_sgd_step(model, (a, b_images),
                  [(generators, g_total),
                   (d_a.trainable_variables + d_b.trainable_variables, d_total)])


def test_esrgan_descends_its_weighted_objectives():
  pixel_w, perceptual_w, adv_w = 0.7, 0.4, 0.2
  keras.utils.set_random_seed(5)
  g = rrdb.RRDBGenerator((8, 8, 3), scale=2, features=8, n_blocks=1, growth=4)
  d = unet.PatchDiscriminator((16, 16, 3), width=0.125, n_layers=1, norm="none")
  g.build(g.input_shapes())
  d.build(d.input_shapes())
  model = _sgd(esrgan.ESRGAN(g, d, pixel_weight=pixel_w, perceptual_weight=perceptual_w,
                             adversarial_weight=adv_w, perceptual="d_features"))
  rng = np.random.default_rng(6)
  x = tf.constant(rng.uniform(-1, 1, (4, 8, 8, 3)), tf.float32)
  y = tf.constant(rng.uniform(-1, 1, (4, 16, 16, 3)), tf.float32)
  b = 4
  sp = tf.math.softplus

  def g_total():
    fake = g(x, training=True)
    real_out, fake_out = d.features(y, training=True), d.features(fake, training=True)
    rl, fl = tf.stop_gradient(tf.reshape(real_out[-1], [-1])), tf.reshape(fake_out[-1], [-1])
    gan = 0.5 * (sp(rl - tf.reduce_mean(fl)) + sp(tf.reduce_mean(rl) - fl))
    perceptual = tf.reduce_mean(tf.stack([
        _mean_per_example(tf.abs(f - tf.stop_gradient(r)), b)
        for f, r in zip(fake_out[:-1], real_out[:-1])]), axis=0)
    per = (pixel_w * tf.reduce_mean(tf.abs(fake - y), axis=[1, 2, 3]) +
           adv_w * _mean_per_example(gan, b) + perceptual_w * perceptual)
    return tf.reduce_mean(per)

  def d_total():
    fake = tf.stop_gradient(g(x, training=True))
    rl, fl = (tf.reshape(d(u, training=True), [-1]) for u in (y, fake))
    per = 0.5 * (sp(tf.reduce_mean(fl) - rl) + sp(fl - tf.reduce_mean(rl)))
    return tf.reduce_mean(_mean_per_example(per, b))

  # ESRGAN's order (BasicSR): G first, then D on the same, detached G(x): D's hand objective
  # uses G's weights before its update, so G's phase is restored for it.
  before_g = [v.numpy().copy() for v in g.trainable_variables]
  _check_sgd_step(model, (x, y), [(g.trainable_variables, g_total), (
      d.trainable_variables, lambda: _at(g.trainable_variables, before_g, d_total))])
