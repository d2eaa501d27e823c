"""The demo's step runner (tools/demo/run_demo.py) and evaluator (tools/demo/evaluate.py)."""
import importlib.util
import json
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(
        f'demo_{name}', osp.join(ROOT, 'tools', 'demo', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def python(code: str):
    return ['-c', code]


def test_run_together_runs_side_by_side_and_records_times(tmp_path):
    steps = load_tool('run_demo').Steps(str(tmp_path))
    (tmp_path / 'report').mkdir()
    flag = tmp_path / 'flag'
    # the first job only finishes once the second one has started: run one after the other,
    # it would time out and fail
    waiter = ('import os, sys, time\nfor _ in range(400):\n'
              f'    if os.path.exists({str(flag)!r}): sys.exit(0)\n'
              '    time.sleep(0.05)\nsys.exit("the other job never ran alongside")')
    steps.run_together([('wait for the flag', python(waiter)),
                        ('set the flag', python(f'open({str(flag)!r}, "w").close()'))])
    timings = json.loads((tmp_path / 'report' / 'timings.json').read_text())
    assert set(timings['steps']) == {'wait for the flag', 'set the flag'}
    assert timings['wall'] >= max(timings['steps'].values())
    assert (tmp_path / 'logs' / 'wait_for_the_flag.log').is_file()


def test_run_together_reports_a_failure_with_its_log(tmp_path, capsys):
    steps = load_tool('run_demo').Steps(str(tmp_path))
    (tmp_path / 'report').mkdir()
    with pytest.raises(RuntimeError, match=r'failed: broken step'):
        steps.run_together([('fine step', python('print("ok")')),
                            ('broken step', python('print("the cause"); raise SystemExit(3)'))])
    out = capsys.readouterr().out
    assert 'broken step FAILED (exit code 3)' in out and 'the cause' in out
    assert 'the cause' in (tmp_path / 'logs' / 'broken_step.log').read_text()
    assert 'fine step' in json.loads((tmp_path / 'report' / 'timings.json').read_text())['steps']


@pytest.mark.parametrize('argv, message', [
    (['--checkpoint', 'missing.pth', '--out', 'm.json'], 'missing.pth does not exist'),
    (['--checkpoint', 'missing.pth'], '--checkpoint and --out go together'),
    ([], 'nothing to do'),
])
def test_evaluate_rejects_bad_arguments(monkeypatch, capsys, argv, message):
    evaluate = load_tool('evaluate')
    monkeypatch.setattr(sys, 'argv', ['evaluate.py', 'configs/demo/parser_small.py', *argv])
    with pytest.raises(SystemExit):
        evaluate.parse_args()
    assert message in capsys.readouterr().err


def test_report_and_sweep_state_the_occluded_split_severity(tmp_path):
    from orsanet.datasets.synthetic.writer import occlusion_summary
    rows = [dict(occluder='mask', coverage=0.248), dict(occluder='hand', coverage=0.256)]
    (tmp_path / 'data' / 'occluded').mkdir(parents=True)
    with open(tmp_path / 'data' / 'occluded' / 'occlusion.json', 'w') as f:
        json.dump(occlusion_summary(rows, 0.3), f)
    [line] = load_tool('make_report').occluded_split_lines(str(tmp_path))
    assert line.startswith('Occluded split: one occluder per test face (hand, mask), each '
                           'covering 30% of the face box (the whole aligned crop; achieved 25.2% '
                           'on average, 24.8-25.6%)')
    assert 'its rows at severity 0.3 cover' in line
    assert load_tool('run_demo').sweep_severities(str(tmp_path / 'data')) == ['0', '0.3', '0.5']
    assert 'states no severity' in load_tool('make_report').occluded_split_lines(
        str(tmp_path / 'elsewhere'))[0]
