# Vectors are now stored per base model (USE, E5) rather than as the combined vector, so that
# the fast model can serve before the slow one is done; the combined version string was also
# longer than the old 40-character column (PostgreSQL refused it).

from typing import Any

import numpy as np
from django.db import migrations, models

# Dimensions of the base models whose combined rows can be split back into their parts.
BASE_DIMS = {"use-multilingual-v3": 512, "multilingual-e5-small-q4": 384}


def split_combined_vectors(apps: Any, schema_editor: Any) -> None:
    """A combined row is [l2(a) * sqrt(wa / W), l2(b) * sqrt(wb / W)]: cut it at the part
    boundaries and normalise each block again. Rows of unknown models are dropped (they are
    re-embedded by the background task)."""
    Embedding = apps.get_model("matching", "Embedding")
    combined = Embedding.objects.filter(model_name__contains="+")
    for row in combined.iterator(chunk_size=500):
        names = row.model_name.split("+")
        versions = [v.rsplit("*", 1)[0] for v in row.model_version.split(";")]
        dims = [BASE_DIMS.get(n, 0) for n in names]
        if len(versions) != len(names) or not all(dims) or sum(dims) != row.dim:
            continue
        vec = np.frombuffer(bytes(row.vector), dtype=np.float32, count=row.dim)
        parts, start = [], 0
        for name, version, dim in zip(names, versions, dims, strict=True):
            block = vec[start : start + dim]
            start += dim
            norm = float(np.linalg.norm(block))
            if norm > 0:
                block = block / norm
            parts.append(
                Embedding(
                    content_hash=row.content_hash,
                    model_name=name,
                    model_version=version,
                    dim=dim,
                    vector=np.asarray(block, dtype=np.float32).tobytes(),
                )
            )
        Embedding.objects.bulk_create(parts, ignore_conflicts=True)
    combined.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchingsettings",
            name="vectors_changed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="embedding",
            name="model_version",
            field=models.CharField(max_length=100),
        ),
        migrations.RunPython(split_combined_vectors, migrations.RunPython.noop),
    ]
