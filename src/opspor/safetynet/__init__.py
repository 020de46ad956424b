"""Safety-net episodes (*sikkerhedsnet*): every uncertain symptom picture has an owner, a plan
and a date, and no "no cancer found" is recorded while a result is pending."""
