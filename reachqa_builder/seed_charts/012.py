import matplotlib.pyplot as plt

# Number of species assessed as threatened on a national red list, by
# taxonomic group (2024 update).
groups = ["Vascular plants", "Insects", "Fishes", "Birds", "Amphibians", "Mammals", "Reptiles", "Molluscs"]
threatened = [412, 268, 131, 97, 58, 54, 41, 119]
colors = ["#2d6a4f" if g == "Vascular plants" else "#74c69d" for g in groups]

fig, ax = plt.subplots(figsize=(11, 6))
bars = ax.bar(groups, threatened, color=colors, edgecolor="#1b4332", linewidth=0.8)

for bar, value in zip(bars, threatened):
    ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 6, str(value),
            ha="center", va="bottom", fontsize=11, fontweight="bold")

total = sum(threatened)
ax.text(0.98, 0.95, f"Total threatened species: {total:,}", transform=ax.transAxes,
        ha="right", va="top", fontsize=11,
        bbox=dict(boxstyle="round,pad=0.4", facecolor="#d8f3dc", edgecolor="#2d6a4f"))

ax.set_title("Threatened Species by Taxonomic Group", fontsize=15, fontweight="bold")
ax.set_ylabel("Number of threatened species", fontsize=12)
ax.set_ylim(0, 470)
ax.tick_params(axis="x", labelrotation=20)
ax.grid(axis="y", alpha=0.3)
ax.set_axisbelow(True)

plt.tight_layout()
plt.show()
