import matplotlib
import matplotlib.pyplot as plt
import numpy as np

# Annual base salary (thousand USD) reported by respondents of a technology
# industry salary survey, by job role.
np.random.seed(2024)
roles = ["Data scientist", "Backend engineer", "Frontend engineer", "DevOps engineer",
         "ML engineer", "Product manager", "QA engineer", "UX designer"]
medians = [128, 135, 118, 131, 150, 140, 96, 105]
salaries = [np.random.normal(m, m * 0.16, 150) for m in medians]

# matplotlib 3.10 replaced boxplot(vert=False) by orientation="horizontal"
major, minor = (int(part) for part in matplotlib.__version__.split(".")[:2])
horizontal = {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}

fig, ax = plt.subplots(figsize=(11, 7))
bp = ax.boxplot(salaries, patch_artist=True, widths=0.6, **horizontal,
                boxprops=dict(facecolor="#caf0f8", edgecolor="#0077b6"),
                medianprops=dict(color="#d00000", linewidth=2),
                whiskerprops=dict(color="#0077b6"), capprops=dict(color="#0077b6"),
                flierprops=dict(marker="x", markeredgecolor="#0077b6", markersize=5))
best = int(np.argmax([np.median(s) for s in salaries]))
bp["boxes"][best].set_facecolor("#90e0ef")

for i, sample in enumerate(salaries, start=1):
    ax.text(np.percentile(sample, 75) + 3, i + 0.3, f"{np.median(sample):.0f}k", fontsize=9, color="#d00000")

ax.set_yticks(range(1, len(roles) + 1))
ax.set_yticklabels(roles, fontsize=11)
ax.set_xlabel("Annual base salary (thousand USD)", fontsize=12)
ax.set_title("Tech Salaries by Role, 2024 Survey (n = 1,200)", fontsize=15, fontweight="bold")
ax.grid(axis="x", linestyle="--", alpha=0.5)

plt.tight_layout()
plt.show()
