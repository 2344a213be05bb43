import matplotlib.pyplot as plt

# Where the energy goes in a typical detached house in a temperate climate
# (share of annual household energy use, from a utility's home-audit report).
uses = ["Space heating", "Water heating", "Appliances", "Cooling", "Lighting", "Cooking", "Other"]
shares = [42, 18, 14, 9, 7, 4, 6]
colors = ["#e63946", "#f4a261", "#2a9d8f", "#457b9d", "#e9c46a", "#a8dadc", "#b5b5b5"]
explode = [0.06, 0, 0, 0, 0, 0, 0]

fig, ax = plt.subplots(figsize=(11, 8))
wedges, texts, autotexts = ax.pie(
    shares, labels=uses, colors=colors, explode=explode, autopct="%1.0f%%",
    startangle=90, pctdistance=0.75, shadow=False,
    wedgeprops=dict(edgecolor="white", linewidth=1.5), textprops=dict(fontsize=11),
)
for autotext in autotexts:
    autotext.set_color("white")
    autotext.set_fontweight("bold")

ax.set_title("Household Energy Use by End Use", fontsize=16, fontweight="bold")
ax.axis("equal")

plt.tight_layout()
plt.show()
