"""Categorical codes read from z, for the GAN family: InfoGAN and cluster conditioning.

Both build a generator with `codes` = K (tfgan.networks.base.latent_code: c is drawn from z
itself, so the exported generator stays a plain z -> image model):

- InfoGAN (`info_codes` = K; Chen et al. 2016, https://arxiv.org/abs/1606.03657): c is
  uniform, D gets a Q head predicting c, and both networks minimise Q's cross-entropy
  (tfgan.losses.info_loss). Unsupervised categories, whatever they turn out to mean.
- Cluster conditioning (`clusters` = K; Sage et al. 2018, https://arxiv.org/abs/1712.04407;
  Liu et al. 2020, https://arxiv.org/abs/2006.10728): the training images are clustered
  before training (tfgan.data.clusters), D is conditioned on each real image's cluster and
  on each fake's code (projection), and c ~ Categorical(the clusters' shares), so G learns
  every cluster in its own proportion. The code is read from z's first entry (inverse CDF),
  so hundreds of clusters need no wider z.
"""


def check_codes(info_codes, info_weight, clusters, latent_dim, conditional, gp_weight=0.0):
  """Raises ValueError, saying why, for code settings that make no sense. `conditional`:
  whether the GAN is conditional on the dataset's labels (or its number of classes)."""
  for name, value in (("info_codes", info_codes), ("info_weight", info_weight),
                      ("clusters", clusters)):
    if value < 0:
      raise ValueError(f"{name} must be >= 0, got {value!r}.")
  for name, value in (("info_codes", info_codes), ("clusters", clusters)):
    if int(value) == 1:
      raise ValueError(f"{name} must be 0 (off) or >= 2 categories; one category carries no "
                       f"information.")
    if value and conditional:
      raise ValueError(f"{name} finds categories without labels; a conditional GAN already "
                       f"has its classes. Use one.")
  # InfoGAN's uniform code is the argmax of z's first K entries (its preview sets a code by
  # permuting them); clusters read theirs from z's first entry (inverse CDF), any latent_dim.
  if int(info_codes) > int(latent_dim):
    raise ValueError(f"info_codes {info_codes} reads its code from the first {info_codes} "
                     f"entries of z: latent_dim must be >= {info_codes}, got {latent_dim}.")
  if info_codes and clusters:
    raise ValueError("info_codes and clusters both read a code from z; use one.")
  if clusters and gp_weight:
    raise ValueError("clusters: WGAN-GP's interpolates between a real image and a fake of "
                     "another cluster have no cluster for D's condition; use r1_gamma or "
                     "spectral normalization.")


def check_networks(generator, discriminator, codes, info_codes):
  """Raises ValueError unless the generator was built with `codes` and the discriminator
  with `info_codes` (networks from outside tfgan count as having none)."""
  for name, network, attr, want in (("generator", generator, "codes", codes),
                                    ("discriminator", discriminator, "info_codes", info_codes)):
    have = getattr(network, attr, 0)
    if have != int(want):
      raise ValueError(f"the {name} must be built with {attr}={want} "
                       f"(tfgan.networks.build(..., {'g' if name == 'generator' else 'd'}"
                       f"_options=dict({attr}={want}))), got {have}.")
