"""Evaluation: FID, KID, Inception Score, improved precision/recall, the domain-classifier
report (mode-collapse diagnostic) and the weights-free sliced Wasserstein distance (`swd`). See
`METRICS` for the protocol names."""

from tfgan.metrics.classifier import (build_classifier, classifier_path, default_cache_dir,
                                      load_classifier, train_classifier)
from tfgan.metrics.distances import (Moments, frechet_distance, inception_score,
                                     kernel_inception_distance, precision_recall)
from tfgan.metrics.evaluation import (METRICS, MetricSpec, PixelExtractor, class_report,
                                      compute, higher_is_better)
from tfgan.metrics.features import (ClassifierExtractor, InceptionExtractor,
                                    MetricsUnavailableError)
from tfgan.metrics.run import (GeneratorEvaluator, build_extractors, evaluate_generator,
                               evaluate_run, prepare_classifier)
