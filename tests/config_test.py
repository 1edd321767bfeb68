import pytest

from tfgan import config as config_lib


def _write(tmp_path, text, name="x.flags"):
  path = tmp_path / name
  path.write_text(text)
  return str(path)


def test_from_flagfile_parses_types_booleans_comments_and_overrides(tmp_path):
  path = _write(tmp_path, "# header\n--dataset=folder\n--width=0.5\n--batch_size=16\n"
                          "--conditional\n--nominibatch_std\n--skip_bad_images=true\n\n"
                          "--diffaugment=color,translation\n")
  config = config_lib.from_flagfile(path, batch_size=8)
  assert config.dataset == "folder" and config.width == 0.5 and config.conditional
  assert config.minibatch_std is False and config.skip_bad_images is True
  assert config.diffaugment == "color,translation"
  assert config.batch_size == 8  # the override wins
  assert config.g_lr == config_lib.Config().g_lr  # unset fields keep the defaults


def test_from_flagfile_follows_nested_flagfiles(tmp_path):
  _write(tmp_path, "--width=0.25\n--train_steps=9\n", "base.flags")
  path = _write(tmp_path, "--flagfile=base.flags\n--train_steps=11\n")
  config = config_lib.from_flagfile(path)
  assert config.width == 0.25 and config.train_steps == 11


@pytest.mark.parametrize("text, message", [
    ("--workdir=/tmp/x\n", ":1: --workdir is not a tfgan.Config setting"),
    ("--width=wide\n", ":1: --width takes a float, got 'wide'"),
    ("# c\n--conditional=maybe\n", ":2: --conditional takes true or false"),
    ("width=1\n", ":1: expected --name=value"),
])
def test_from_flagfile_names_the_line_at_fault(tmp_path, text, message):
  path = _write(tmp_path, text)
  with pytest.raises(ValueError, match=message.replace("(", r"\(")):
    config_lib.from_flagfile(path)


@pytest.mark.parametrize("field, value", [("strategy", "horovod"),
                                          ("mixed_precision", "float16"),
                                          ("jit_compile", "yes")])
def test_closed_choices_are_validated_by_name(field, value):
  with pytest.raises(ValueError, match=f"{field} must be one of"):
    config_lib.validate(config_lib.Config(**{field: value}))
