"""tools/uv_options_from_pip.py: make env's uv takes packages from where pip is told to."""
import os
import subprocess
import sys

TOOL = 'tools/uv_options_from_pip.py'


def options(pip_config_list: str, repo_root: str) -> list:
    proc = subprocess.run([sys.executable, TOOL], input=pip_config_list, capture_output=True,
                          text=True, cwd=repo_root, check=True)
    return proc.stdout.splitlines()


def test_every_source_and_rule_is_passed_on(repo_root):
    listed = ("global.constraint='/etc/xdg/pip/constraints.txt'\n"
              "global.extra-index-url='file:///opt/a/simple file:///opt/b/simple'\n"
              "global.find-links='/opt/wheels'\n"
              "global.cert='/etc/ssl/certs/ca.crt'\n")
    assert options(listed, repo_root) == [
        '--index-strategy', 'unsafe-best-match',
        '--index', 'file:///opt/a/simple', '--index', 'file:///opt/b/simple',
        '--find-links', '/opt/wheels', '--constraint', '/etc/xdg/pip/constraints.txt']


def test_environment_beats_install_beats_global_whatever_the_order(repo_root):
    listed = (":env:.index-url='https://env.example/simple'\n"
              "install.index-url='https://install.example/simple'\n"
              "global.index-url='https://global.example/simple'\n"
              "global.find-links='/global'\n"
              "install.find-links='/install'\n"
              ":env:.no-index='true'\n")
    assert options(listed, repo_root) == [
        '--index-strategy', 'unsafe-best-match',
        '--default-index', 'https://env.example/simple', '--find-links', '/install',
        '--no-index']


def test_reads_what_pip_itself_lists(repo_root, tmp_path):
    """The real `pip config list` output (a config file and an environment variable)."""
    config = tmp_path / 'pip.conf'
    config.write_text('[global]\nextra-index-url = file:///x/simple\n    file:///y/simple\n'
                      'find-links = /wheels\nconstraint = /cap.txt\n'
                      '[install]\nfind-links = /install-wheels\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith('PIP_')}
    env.update(PIP_CONFIG_FILE=str(config), PIP_INDEX_URL='https://mirror.example/simple')
    listed = subprocess.run([sys.executable, '-m', 'pip', 'config', 'list'], env=env,
                            capture_output=True, text=True, check=True).stdout
    assert options(listed, repo_root) == [
        '--index-strategy', 'unsafe-best-match',
        '--default-index', 'https://mirror.example/simple',
        '--index', 'file:///x/simple', '--index', 'file:///y/simple',
        '--find-links', '/install-wheels', '--constraint', '/cap.txt']
