"""Evaluation: FID, KID, Inception Score, improved precision/recall, the domain-classifier
report (mode-collapse diagnostic), the weights-free sliced Wasserstein distance (`swd`) and the
memorization check (`nn`: nearest training images by pixel L2). See `METRICS` for the protocol
names."""

from tfgan.metrics.classifier import (build_classifier, classifier_path, default_cache_dir,
                                      load_classifier, train_classifier)
from tfgan.metrics.distances import (Moments, frechet_distance, inception_score,
                                     kernel_inception_distance, precision_recall)
from tfgan.metrics.evaluation import (METRICS, MetricSpec, PixelExtractor, class_report,
                                      compute, higher_is_better)
from tfgan.metrics.features import (ClassifierExtractor, InceptionExtractor,
                                    MetricsUnavailableError)
from tfgan.metrics.neighbours import memorization, nearest
from tfgan.metrics.run import (GeneratorEvaluator, build_extractors, describe,
                               evaluate_generator, evaluate_run, heldout_source, open_holdout,
                               open_reference, open_training, prepare_classifier,
                               reference_split)
