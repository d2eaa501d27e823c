"""visualization of ORSANet-MM: drawing FER results and explanation maps."""
from .face_drawing import draw_fer_result, map_to_image, normalise_map, overlay_heatmap

__all__ = ['draw_fer_result', 'map_to_image', 'normalise_map', 'overlay_heatmap']
