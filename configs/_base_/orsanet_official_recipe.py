# What every ORSANet recipe shares: the official model (IR-50 from the released weights, the two
# frozen priors), the official training loop (SAM + Adam, ExponentialLR, 400 epochs) and the
# runtime (best-accuracy checkpoint, DARE warm-up hook). A recipe adds its dataset base and sets
# the learning rate and the warm-up epochs (and the class count where it is not 7).
_base_ = [
    './models/orsanet_ir50.py',
    './schedules/orsanet_sam_adam.py',
    './default_runtime.py',
]
