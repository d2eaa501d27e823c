"""Issue 24: a known error of any command-line tool is one message and exit status 1, not a
traceback around the message; ``--debug`` shows the traceback (``orsanet.apis.cli.cli_main``).
A real tool's run: ``test_demos.py::test_image_demo`` (``--fail-on-unreadable``)."""
import ast
import glob
import os.path as osp
import sys

import pytest

from orsanet.apis.cli import cli_main
from orsanet.apis.config_options import UnknownConfigKeyError
from orsanet.engine import ResumeError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLIS = (['tools/train.py', 'tools/test.py', 'demo/image_demo.py', 'demo/video_demo.py']
        + sorted(glob.glob('tools/analysis_tools/*.py', root_dir=REPO))
        + sorted(glob.glob('tools/model_converters/*.py', root_dir=REPO))
        + sorted(glob.glob('tools/deployment/*.py', root_dir=REPO))
        + sorted(glob.glob('tools/demo/*.py', root_dir=REPO)))


def run(main, *args):
    with pytest.raises(SystemExit) as exit_:
        cli_main(main, ['tool.py', *args])
    return exit_.value.code


@pytest.mark.parametrize('error,message', [
    (FileNotFoundError('checkpoint x.pth does not exist'), 'error: checkpoint x.pth does not '
     'exist\n(FileNotFoundError; --debug shows the traceback)\n'),
    (KeyError('no key a.b'), 'error: no key a.b\n(KeyError; --debug'),  # without the quotes
    (ImportError("dlib is not installed: pip install '.[dlib]'"), "error: dlib is not "
     "installed: pip install '.[dlib]'\n"),
    (ResumeError('--resume: nothing to resume'), 'error: --resume: nothing to resume\n'),
])
def test_a_known_error_is_one_message_and_status_1(capsys, error, message):
    def main():
        raise error

    assert run(main) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and 'Traceback' not in err


def test_debug_shows_the_traceback_and_bugs_keep_theirs(capsys):
    def main():
        raise ValueError('bad value')

    with pytest.raises(ValueError, match='bad value'):
        cli_main(main, ['tool.py', '--debug'])

    def buggy():
        raise ZeroDivisionError('a bug')

    with pytest.raises(ZeroDivisionError):  # not a known error: Python's traceback
        cli_main(buggy, ['tool.py'])


def test_status_and_arguments_pass_through():
    argv = ['tool.py', 'a', '--debug', 'b']
    seen = []

    def main():
        seen.append(list(argv))
        return 3

    with pytest.raises(SystemExit) as exit_:
        cli_main(main, argv)
    assert exit_.value.code == 3 and seen == [['tool.py', 'a', 'b']]  # --debug taken out
    assert run(lambda: None) == 0

    def unknown_key():
        raise UnknownConfigKeyError('x')

    assert run(unknown_key) == 1  # a class of this package


@pytest.mark.parametrize('script', CLIS)
def test_every_cli_runs_its_main_through_cli_main(script):
    with open(osp.join(REPO, script), encoding='utf-8') as f:
        tree = ast.parse(f.read())
    blocks = [n for n in tree.body if isinstance(n, ast.If)
              and ast.unparse(n.test) == "__name__ == '__main__'"]
    assert len(blocks) == 1 and ast.unparse(blocks[0].body[0]) == 'cli_main(main)', script


def test_a_detector_whose_package_is_missing_names_the_extra(monkeypatch):
    """--detector dlib_cnn / dlib_hog without dlib: the ImportError names the extra."""
    from orsanet.faces import build_face_detector
    monkeypatch.setitem(sys.modules, 'dlib', None)  # import dlib -> ImportError
    for name in ('dlib_cnn', 'dlib_hog', 'dlib_cnn+haar'):
        with pytest.raises(ImportError, match=r"dlib is not installed: install the dlib extra: "
                           r"pip install '\.\[dlib\]' \(or make env-dlib\)"):
            build_face_detector(name)
