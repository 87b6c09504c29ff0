"""TransFuser v6: backbones, fusion model, heads, planning decoder, training."""
