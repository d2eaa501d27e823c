"""Where the face is in scikit-image's astronaut, for the inference tests (tests/ is on the path).

Eileen Collins' face in ``skimage.data.astronaut()`` (512 x 512): centre about (223, 113), about
95 px wide (Haar's box (177, 67, 270, 160), dlib's CNN box (167, 70, 266, 169)).
"""
ASTRONAUT_FACE_CENTRE, ASTRONAUT_FACE_SIZE = (223, 113), 95


def check_astronaut_box(box, shift=(0, 0)) -> None:
    """A detector's box (x1, y1, x2, y2) is her face (in a photo shifted by ``shift`` px)."""
    x1, y1, x2, y2 = box
    centre = ((x1 + x2) / 2 - shift[0], (y1 + y2) / 2 - shift[1])
    assert abs(centre[0] - ASTRONAUT_FACE_CENTRE[0]) < 20
    assert abs(centre[1] - ASTRONAUT_FACE_CENTRE[1]) < 20
    assert 0.7 * ASTRONAUT_FACE_SIZE < x2 - x1 < 1.4 * ASTRONAUT_FACE_SIZE
