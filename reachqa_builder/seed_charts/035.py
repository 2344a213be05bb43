import matplotlib.pyplot as plt
import numpy as np

# Climate-tech startups: total funding raised versus headcount. Bubble area
# shows the latest valuation, colour the sector.
startups = [
    # name, funding ($M), employees, valuation ($M), sector
    ("HeliaGrid", 240, 310, 1900, "Energy storage"),
    ("CarbonLoop", 85, 120, 520, "Carbon capture"),
    ("AgriSense", 42, 95, 260, "Agritech"),
    ("VoltFleet", 310, 540, 2600, "E-mobility"),
    ("SeaHarvest", 28, 60, 150, "Agritech"),
    ("ThermaCore", 160, 230, 980, "Energy storage"),
    ("AirMine", 120, 140, 760, "Carbon capture"),
    ("ChargeNest", 65, 180, 410, "E-mobility"),
    ("SoilCount", 18, 45, 90, "Agritech"),
    ("GridWise", 95, 260, 640, "Energy storage"),
]
sector_colors = {"Energy storage": "#ffb703", "Carbon capture": "#219ebc",
                 "Agritech": "#8ac926", "E-mobility": "#fb5607"}

fig, ax = plt.subplots(figsize=(11, 7))
for name, funding, staff, valuation, sector in startups:
    ax.scatter(funding, staff, s=valuation * 0.9, color=sector_colors[sector], alpha=0.6,
               edgecolor="black", linewidth=0.8)
    ax.annotate(name, (funding, staff), ha="center", va="center", fontsize=9, fontweight="bold")

for sector, color in sector_colors.items():
    ax.scatter([], [], s=150, color=color, alpha=0.6, edgecolor="black", label=sector)
legend1 = ax.legend(title="Sector", loc="upper left")
ax.add_artist(legend1)
for value in (250, 1000, 2500):
    ax.scatter([], [], s=value * 0.9, color="lightgray", edgecolor="black", label=f"${value:,}M")
handles, labels = ax.get_legend_handles_labels()
ax.legend(handles[-3:], labels[-3:], title="Valuation", loc="lower right", labelspacing=2.2,
          borderpad=1.2)

ax.set_title("Climate-Tech Startups: Funding, Headcount and Valuation", fontsize=15, fontweight="bold")
ax.set_xlabel("Total funding raised (USD million)")
ax.set_ylabel("Employees")
ax.set_xlim(0, 380)
ax.set_ylim(0, 650)
ax.grid(alpha=0.3)

plt.tight_layout()
plt.show()
