import matplotlib.pyplot as plt

# Causes of wildfires recorded by a state forestry agency over one decade.
# Human-caused categories are pulled out of the pie to stress how many fires
# people start.
causes = ["Lightning", "Debris burning", "Arson", "Equipment use", "Campfires",
          "Power lines", "Smoking", "Undetermined"]
counts = [2150, 1820, 1310, 960, 720, 540, 380, 1120]
human = {"Debris burning", "Arson", "Equipment use", "Campfires", "Power lines", "Smoking"}
explode = [0.12 if cause in human else 0.0 for cause in causes]
colors = ["#5e60ce", "#ff7b00", "#ff8800", "#ff9500", "#ffa200", "#ffaa00", "#ffb700", "#adb5bd"]

fig, ax = plt.subplots(figsize=(10, 9))
wedges, texts, autotexts = ax.pie(
    counts, labels=causes, explode=explode, colors=colors, autopct="%1.1f%%",
    startangle=100, labeldistance=1.1, counterclock=False, pctdistance=0.7,
    wedgeprops=dict(edgecolor="white", linewidth=1.2), textprops=dict(fontsize=10),
)

human_share = 100 * sum(c for name, c in zip(causes, counts) if name in human) / sum(counts)
fig.text(0.5, 0.02, f"Human-caused sectors (pulled out): {human_share:.0f}% of all fires",
        ha="center", fontsize=11, bbox=dict(boxstyle="round", facecolor="#fff3e0", edgecolor="#ff8800"))

ax.set_title("Wildfire Ignitions by Cause, 2013-2022", fontsize=16, fontweight="bold")
ax.axis("equal")

plt.tight_layout(rect=(0, 0.06, 1, 1))
plt.show()
