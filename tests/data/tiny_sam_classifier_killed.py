# tiny_sam_classifier.py that SIGKILLs itself after iteration 3 (mid-epoch 2 of 3, in the warm-up;
# the test overrides custom_hooks.1.after_iter).
# Needs tests/data on PYTHONPATH for the hook.
_base_ = ['./tiny_sam_classifier.py']
custom_imports = dict(imports=['orsanet', 'sigkill_hook'], allow_failed_imports=False)
custom_hooks = [dict(type='DAREWarmupHook'), dict(type='SIGKILLHook', after_iter=3)]
