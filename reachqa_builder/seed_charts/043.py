import matplotlib.pyplot as plt
import squarify

# Global smartphone shipments in 2023 by vendor (millions of units), drawn as
# a tree map where each tile's area is proportional to shipments.
vendors = ["Apple", "Samsung", "Xiaomi", "OPPO", "Transsion", "vivo", "Honor", "Realme",
           "Motorola", "Others"]
shipments = [234.6, 226.6, 145.9, 103.1, 94.9, 91.7, 58.9, 46.4, 42.0, 122.9]
total = sum(shipments)
labels = [f"{v}\n{s:.0f}M ({s / total:.1%})" for v, s in zip(vendors, shipments)]
colors = ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#8ab17d",
          "#6d597a", "#b56576", "#457b9d", "#adb5bd"]

fig, ax = plt.subplots(figsize=(12, 7.5))
squarify.plot(sizes=shipments, label=labels, color=colors, alpha=0.9, pad=True, ax=ax,
              text_kwargs=dict(fontsize=10, color="white", fontweight="bold"),
              edgecolor="white", linewidth=2)

ax.set_title(f"Smartphone Shipments by Vendor, 2023 (total {total:,.0f} million)",
             fontsize=15, fontweight="bold")
ax.axis("off")

plt.tight_layout()
plt.show()
