import matplotlib.pyplot as plt
import numpy as np

# Annual budget of a public library system (millions of dollars): the inner
# ring shows the main spending areas and the outer ring their line items.
areas = {
    "Staff": {"Librarians": 9.8, "Support staff": 5.1, "Training": 0.9},
    "Collections": {"Print books": 2.6, "E-books & databases": 3.4, "Media": 0.8},
    "Facilities": {"Maintenance": 2.2, "Utilities": 1.5, "Security": 0.7},
    "Programs": {"Children": 1.1, "Adult learning": 0.8, "Digital literacy": 0.6},
}
inner_values = [sum(items.values()) for items in areas.values()]
outer_labels = [name for items in areas.values() for name in items]
outer_values = [v for items in areas.values() for v in items.values()]

base_maps = [plt.cm.Blues, plt.cm.Oranges, plt.cm.Greens, plt.cm.Purples]
inner_colors = [cmap(0.75) for cmap in base_maps]
outer_colors = [cmap(shade) for cmap, items in zip(base_maps, areas.values())
                for shade in np.linspace(0.55, 0.3, len(items))]

fig, ax = plt.subplots(figsize=(10, 9))
ax.pie(outer_values, radius=1.0, labels=outer_labels, colors=outer_colors, labeldistance=1.05,
       wedgeprops=dict(width=0.3, edgecolor="white"), startangle=20, textprops=dict(fontsize=9))
ax.pie(inner_values, radius=0.7, labels=list(areas), colors=inner_colors, labeldistance=0.62,
       autopct=lambda p: f"{p:.0f}%", pctdistance=0.38,
       wedgeprops=dict(width=0.3, edgecolor="white"), startangle=20,
       textprops=dict(fontsize=10, color="white", fontweight="bold"))

ax.text(0, 0, f"${sum(inner_values):.1f}M", ha="center", va="center", fontsize=16, fontweight="bold")
ax.set_title("Public Library System Budget, FY2024", fontsize=16, fontweight="bold")
ax.axis("equal")

plt.tight_layout()
plt.show()
