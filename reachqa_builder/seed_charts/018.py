import matplotlib.pyplot as plt
import numpy as np

# Mean monthly rainfall (mm) in four climate regions of a country, for the
# six months of the wet season.
regions = ["Coastal", "Highlands", "Plains", "Desert"]
months = ["May", "Jun", "Jul", "Aug", "Sep", "Oct"]
rainfall = np.array([
    [110, 180, 240, 260, 190, 120],
    [90, 150, 210, 230, 170, 95],
    [60, 95, 130, 140, 100, 55],
    [8, 12, 20, 25, 14, 6],
])

fig = plt.figure(figsize=(11, 8))
ax = fig.add_subplot(projection="3d")

xpos, ypos = np.meshgrid(np.arange(len(months)), np.arange(len(regions)))
xpos, ypos = xpos.ravel(), ypos.ravel()
heights = rainfall.ravel()
cmap = plt.cm.viridis
colors = cmap(heights / heights.max())

ax.bar3d(xpos - 0.3, ypos - 0.3, np.zeros_like(heights), 0.6, 0.6, heights,
         color=colors, shade=True, edgecolor="black", linewidth=0.3)

ax.set_xticks(np.arange(len(months)))
ax.set_xticklabels(months)
ax.set_yticks(np.arange(len(regions)))
ax.set_yticklabels(regions)
ax.set_zlabel("Rainfall (mm)", labelpad=10)
ax.set_xlabel("Month", labelpad=10)
ax.set_ylabel("Region", labelpad=10)
ax.set_title("Wet-Season Rainfall by Region and Month", fontsize=15, fontweight="bold")
ax.view_init(elev=25, azim=-55)

mappable = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, heights.max()))
fig.colorbar(mappable, ax=ax, shrink=0.55, pad=0.1, label="Rainfall (mm)")

fig.subplots_adjust(left=0.02, right=0.92, bottom=0.05, top=0.93)
plt.show()
