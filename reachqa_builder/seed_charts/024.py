import matplotlib.pyplot as plt
import numpy as np

# Nutrition profile of three breakfast cereals per 40 g serving, expressed as
# a percentage of the recommended daily amount (RDA).
nutrients = ["Fibre", "Protein", "Iron", "Vitamin B12", "Sugar", "Salt"]
cereals = {
    "Oat crunch": [32, 14, 25, 10, 12, 4],
    "Honey flakes": [9, 8, 30, 25, 38, 9],
    "Bran sticks": [48, 12, 40, 25, 15, 11],
}
colors = {"Oat crunch": "#bc6c25", "Honey flakes": "#ffb703", "Bran sticks": "#386641"}

n = len(nutrients)
angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
closed_angles = np.concatenate([angles, angles[:1]])

fig, ax = plt.subplots(figsize=(9, 9), subplot_kw=dict(projection="polar"))
for name, values in cereals.items():
    closed = values + values[:1]
    ax.plot(closed_angles, closed, color=colors[name], linewidth=2, label=name)
    ax.fill(closed_angles, closed, color=colors[name], alpha=0.25)

ax.set_xticks(angles)
ax.set_xticklabels(nutrients, fontsize=12)
ax.set_ylim(0, 50)
ax.set_yticks([10, 20, 30, 40, 50])
ax.set_yticklabels([f"{v}%" for v in (10, 20, 30, 40, 50)], fontsize=9, color="dimgray")

top = max(cereals, key=lambda k: cereals[k][0])
ax.annotate(f"Most fibre: {top}", xy=(angles[0], cereals[top][0]), xytext=(np.radians(40), 47),
            arrowprops=dict(arrowstyle="->", color="black"), fontsize=10)

ax.set_title("Breakfast Cereal Nutrition (% RDA per 40 g serving)", fontsize=15, fontweight="bold", pad=30)
ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.1), title="Cereal")

plt.tight_layout()
plt.show()
