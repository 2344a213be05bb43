import matplotlib.pyplot as plt
import numpy as np

# Median waiting time (days) from referral to first appointment in a regional
# hospital network, by department, first quarter of 2024.
departments = ["Orthopaedics", "Dermatology", "Neurology", "Ophthalmology", "Cardiology",
               "Gastroenterology", "ENT", "Urology", "Endocrinology", "Rheumatology"]
wait_days = np.array([96, 88, 74, 69, 41, 57, 52, 47, 63, 79])
target = 60

order = np.argsort(wait_days)
departments = [departments[i] for i in order]
wait_days = wait_days[order]
colors = ["#d62828" if d > target else "#2a9d8f" for d in wait_days]

fig, ax = plt.subplots(figsize=(10, 7))
bars = ax.barh(departments, wait_days, color=colors, height=0.65)
for bar, days in zip(bars, wait_days):
    ax.text(days + 1.5, bar.get_y() + bar.get_height() / 2, f"{days} d", va="center", fontsize=10)

ax.axvline(target, color="black", linestyle="--", linewidth=1.2)
ax.text(target + 1, len(departments) - 0.45, "60-day target", fontsize=10)

ax.set_title("Median Wait for First Specialist Appointment (Q1 2024)", fontsize=14, fontweight="bold")
ax.set_xlabel("Days from referral", fontsize=12)
ax.set_xlim(0, 110)
ax.grid(axis="x", alpha=0.3)
ax.set_axisbelow(True)

plt.tight_layout()
plt.show()
