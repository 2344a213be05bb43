"""The released ReachQA: where it lives, the commit reachqa reads, how to cite it, and our seed charts."""

from __future__ import annotations

from pathlib import Path

REACHQA_REPO = "hewei2001/ReachQA"
REACHQA_COMMIT = "b68bb44b519a8f1b80ee0d280c3dce49050d8222"
REACHQA_ARCHIVE_URL = f"https://github.com/{REACHQA_REPO}/archive/{REACHQA_COMMIT}.zip"
# the paper, as its authors cite it (README of the repository at REACHQA_COMMIT)
CITATION = """\
@article{he2024distill,
  title={Distill Visual Chart Reasoning Ability from LLMs to MLLMs},
  author={He, Wei and Xi, Zhiheng and Zhao, Wanxu and Fan, Xiaoran and Ding, Yiwen and Shan, Zifei and Gui, Tao and Zhang, Qi and Huang, Xuan-Jing},
  journal={arXiv preprint arXiv:2410.18798},
  year={2024}
}
"""
SEED_DIR = Path(__file__).resolve().parent / "seed_charts"
