import matplotlib.pyplot as plt
import numpy as np

# Final mathematics exam scores (0-100) of two secondary schools that used
# different teaching methods this year.
rng = np.random.default_rng(21)
school_a = np.clip(rng.normal(64, 13, 420), 0, 100)  # traditional lectures
school_b = np.clip(np.concatenate([rng.normal(72, 9, 300), rng.normal(48, 8, 80)]), 0, 100)  # flipped classroom

bins = np.arange(0, 101, 5)
fig, ax = plt.subplots(figsize=(11, 6.5))
ax.hist(school_a, bins=bins, alpha=0.55, color="#457b9d", edgecolor="white", label="Northfield (lectures)")
ax.hist(school_b, bins=bins, alpha=0.55, color="#e63946", edgecolor="white", label="Lakeside (flipped classroom)")

for scores, color, name in ((school_a, "#1d3557", "Northfield"), (school_b, "#9d0208", "Lakeside")):
    mean = scores.mean()
    ax.axvline(mean, color=color, linestyle="--", linewidth=2)
    right = name == "Lakeside"
    ax.text(mean + 0.8 if right else mean - 0.8, ax.get_ylim()[1] * 0.93, f"{name} mean: {mean:.1f}",
            ha="left" if right else "right", color=color, fontsize=10, fontweight="bold")

ax.axvline(50, color="black", linewidth=1)
ax.text(49, ax.get_ylim()[1] * 0.6, "Pass mark", rotation=90, ha="right", fontsize=10)

ax.set_title("Distribution of Final Maths Exam Scores by School", fontsize=15, fontweight="bold")
ax.set_xlabel("Score")
ax.set_ylabel("Number of students")
ax.set_xticks(bins[::2])
ax.legend(loc="center left")
ax.grid(axis="y", alpha=0.3)

plt.tight_layout()
plt.show()
