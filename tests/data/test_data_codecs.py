from __future__ import annotations

import io

import numpy as np
import pytest

from lead_framework.data import CodecError, decode_member, encode_member


def test_lossless_members_round_trip(members_of):
    members = members_of(7)
    for name in ("semantics.png", "depth.png", "lidar.npy"):
        decoded = decode_member(name, encode_member(name, members[name]))
        assert decoded.dtype == members[name].dtype
        np.testing.assert_array_equal(decoded, members[name])
    assert decode_member("note.txt", encode_member("note.txt", "frame 7")) == "frame 7"
    assert decode_member("meta.json", encode_member("meta.json", members["meta.json"])) == {
        "speed": 7.0, "command": 3, "route": [[1.0, 2.0]]
    }


def test_colour_png_keeps_rgb_channel_order():
    image = np.zeros((4, 4, 3), np.uint8)
    image[..., 0] = 200  # red
    decoded = decode_member("bev.png", encode_member("bev.png", image))
    np.testing.assert_array_equal(decoded, image)


def test_jpeg_quality_changes_size_and_stays_close():
    rng = np.random.default_rng(0)
    image = (np.linspace(0, 255, 64 * 96 * 3).reshape(64, 96, 3) + rng.normal(0, 8, (64, 96, 3))).clip(0, 255).astype(np.uint8)
    high = encode_member("rgb.jpg", image, jpeg_quality=95)
    low = encode_member("rgb.jpg", image, jpeg_quality=30)
    assert len(low) < len(high)
    decoded = decode_member("rgb.jpg", high)
    assert decoded.shape == image.shape
    assert np.abs(decoded.astype(int) - image).mean() < 6


def test_json_is_compact():
    assert encode_member("meta.json", {"a": [1, 2], "b": np.int64(3)}) == b'{"a":[1,2],"b":3}'


@pytest.mark.parametrize(
    ("member", "value", "message"),
    [
        ("rgb.bmp", np.zeros((2, 2), np.uint8), "unknown extension .bmp"),
        ("rgb", np.zeros((2, 2), np.uint8), "no extension"),
        ("rgb.jpg", np.zeros((2, 2), np.float32), "dtype float32"),
        ("rgb.jpg", np.zeros((2, 2, 5), np.uint8), "shape (2, 2, 5)"),
        ("boxes.npy", np.array([{"a": 1}], dtype=object), "plain numeric arrays"),
        ("meta.json", {"a": object()}, "cannot encode as JSON"),
        ("note.txt", b"bytes", ".txt takes a str"),
    ],
)
def test_bad_members_name_the_member(member, value, message):
    with pytest.raises(CodecError, match=member.split(".")[0]) as error:
        encode_member(member, value)
    assert message in str(error.value)


def test_npy_decoding_refuses_pickles():
    stream = io.BytesIO()
    np.save(stream, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        decode_member("boxes.npy", stream.getvalue())


def test_broken_image_bytes_raise():
    with pytest.raises(CodecError, match="not a valid .png"):
        decode_member("bev.png", b"not an image")
