import matplotlib.pyplot as plt
import numpy as np

# Conversion funnel of an online course platform's spring promotion:
# visitors moving from the landing page to a paid enrolment.
stages = ["Visited landing page", "Viewed a course", "Started free trial",
          "Completed first lesson", "Entered payment details", "Paid enrolment"]
users = np.array([120000, 58400, 14900, 9100, 3700, 2950])
colors = plt.cm.Blues(np.linspace(0.85, 0.35, len(stages)))

fig, ax = plt.subplots(figsize=(11, 7))
y = np.arange(len(stages))[::-1]
ax.barh(y, users, left=-users / 2, height=0.8, color=colors, edgecolor="white")

for yi, count, stage, i in zip(y, users, stages, range(len(stages))):
    ax.text(-users[0] / 2 - 3000, yi, stage, ha="right", va="center", fontsize=11, fontweight="bold")
    ax.text(0, yi, f"{count:,}", ha="center", va="center", fontsize=10, fontweight="bold",
            color="white" if i < 3 else "black")
    if i > 0:
        step = count / users[i - 1] * 100
        ax.text(users[0] / 2 + 2000, yi + 0.5, f"{step:.0f}% of previous step", va="center",
                fontsize=9, color="#495057")

overall = users[-1] / users[0] * 100
ax.text(0, -0.9, f"Overall conversion: {overall:.1f}%", ha="center", fontsize=12, fontweight="bold")

ax.set_xlim(-users[0] / 2 - 45000, users[0] / 2 + 30000)
ax.set_ylim(-1.2, len(stages) - 0.4)
ax.axis("off")
ax.set_title("Spring Promotion Enrolment Funnel", fontsize=16, fontweight="bold")

plt.tight_layout()
plt.show()
