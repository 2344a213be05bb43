import matplotlib.pyplot as plt
import numpy as np

# Scores (0-10) that a hiring panel gave three finalists for a data
# engineering role, across seven assessed competencies.
skills = ["SQL & databases", "Python", "Cloud platforms", "Data modelling",
          "Communication", "Teamwork", "System design"]
candidates = {
    "Candidate A": [9, 8, 6, 8, 5, 7, 7],
    "Candidate B": [7, 9, 9, 6, 7, 6, 8],
    "Candidate C": [6, 6, 7, 7, 9, 9, 6],
}
colors = ["#1d3557", "#e63946", "#2a9d8f"]

angles = np.linspace(0, 2 * np.pi, len(skills), endpoint=False).tolist()
angles += angles[:1]

fig, ax = plt.subplots(figsize=(9, 9), subplot_kw=dict(polar=True))
ax.set_theta_offset(np.pi / 2)
ax.set_theta_direction(-1)

for (name, scores), color in zip(candidates.items(), colors):
    values = scores + scores[:1]
    ax.plot(angles, values, color=color, linewidth=2.2, marker="o", label=f"{name} (avg {np.mean(scores):.1f})")

ax.set_thetagrids(np.degrees(angles[:-1]), skills, fontsize=11)
ax.set_ylim(0, 10)
ax.set_yticks([2, 4, 6, 8, 10])
ax.set_yticklabels(["2", "4", "6", "8", "10"], fontsize=9, color="gray")
ax.set_rlabel_position(180 / len(skills))
ax.grid(color="#cccccc", linestyle="--")

ax.set_title("Finalist Assessment: Data Engineer Position", fontsize=15, fontweight="bold", pad=25)
ax.legend(loc="upper right", bbox_to_anchor=(1.28, 1.08), fontsize=10)

plt.tight_layout()
plt.show()
