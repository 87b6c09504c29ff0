"""Pinhole cameras rendered on the CPU: RGB, semantic and depth images in CARLA's BGRA layouts.

The ground is one ``cv2.warpPerspective`` of the town's ground raster (a homography maps the flat ground
plane at the ego's height into the image) followed by colour look-ups; boxes are painted far to near with
back faces culled, one flat-shaded polygon per visible face (clipped at the near plane). Cameras sharing a
pose and intrinsics share one :class:`CameraView`, so label cameras cost little on top of the RGB camera.

Depth is exact per pixel for planes: the inverse depth of a plane is affine in the pixel coordinates, so the
ground and every face paint three coefficients into three images and two multiply-adds give the depth of every
pixel (float32: within a few 24-bit depth steps, well under a millimetre, of the float64 value).
"""

from __future__ import annotations

import math

import attrs
import cv2
import numpy as np

from lead_framework.sensors import Pose
from lead_sim.sensors.frame import FrameContext
from lead_sim.sensors.tags import GROUND_TO_TAG, CarlaTag, Ground
from lead_sim.sensors.transforms import invert_rigid, pose_matrix
from lead_sim.sensors.weather import Look

NEAR_M = 0.05
FAR_M = 1000.0  # CARLA's depth camera range
CROP_M = 150.0  # ground raster taken around the camera
MAX_BOX_DISTANCE_M = 150.0
SHIFT = 4  # fixed-point bits for polygon vertices
#: RGB palette index bits below the ground class (the depth bin or the sky's height level).
CLASS_SHIFT = 6
#: Faces of a box as corner indices (see Solids.corners) with their outward axis and sign.
FACES = np.array([[4, 6, 7, 5], [0, 2, 3, 1], [2, 6, 7, 3], [0, 4, 5, 1], [1, 5, 7, 3], [0, 4, 6, 2]])
FACE_AXIS = np.array([0, 0, 1, 1, 2, 2])
FACE_SIGN = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
#: RGB ground colours are looked up by (ground class, depth bin): bins grow geometrically from 2 m.
DEPTH_BINS = 1 << CLASS_SHIFT
BIN_EDGES = np.geomspace(2.0, 400.0, DEPTH_BINS - 1)
BIN_DEPTHS = np.concatenate([[1.5], np.sqrt(BIN_EDGES[:-1] * BIN_EDGES[1:]), [600.0]])
SKY_CLASS = 15
PRODUCTS = frozenset({"rgb", "semantic", "depth", "ids"})


@attrs.define
class Faces:
    """Box faces seen by a camera, far to near: solid index, face index, image polygon (fixed point, ``SHIFT``
    bits), a camera-frame point on the face's plane and the distance of the face's centre."""

    solid: np.ndarray  # (F,) int64
    face: np.ndarray  # (F,) int64
    pixels: list[np.ndarray]  # F arrays (K, 2) int32
    anchor: np.ndarray  # (F, 3)
    distance: np.ndarray  # (F,)

    def __len__(self) -> int:
        return len(self.pixels)


NO_FACES = Faces(np.zeros(0, np.int64), np.zeros(0, np.int64), [], np.zeros((0, 3)), np.zeros(0))


@attrs.define
class CameraImages:
    """What one view rendered this tick (None for products not asked for)."""

    rgb: np.ndarray | None = None
    semantic: np.ndarray | None = None
    depth: np.ndarray | None = None
    face_ids: np.ndarray | None = None  # (H, W) uint16, 0 = ground or sky, k = face k-1 of the drawn list
    face_solid: np.ndarray | None = None  # (faces,) solid index of each drawn face


def _clip_near(polygon: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman clip of a camera-frame polygon (K, 3) against x >= NEAR_M."""
    out = []
    for i in range(len(polygon)):
        a, b = polygon[i], polygon[(i + 1) % len(polygon)]
        a_in, b_in = a[0] >= NEAR_M, b[0] >= NEAR_M
        if a_in:
            out.append(a)
        if a_in != b_in:
            t = (NEAR_M - a[0]) / (b[0] - a[0])
            out.append(a + t * (b - a))
    return np.array(out).reshape(-1, 3)


class CameraView:
    """A pinhole camera mounted on the ego; renders any subset of :data:`PRODUCTS`."""

    def __init__(self, pose: Pose, width: int, height: int, fov_deg: float):
        self.width, self.height = width, height
        self.focal = width / (2.0 * math.tan(math.radians(fov_deg) / 2.0))
        self.cx, self.cy = width / 2.0, height / 2.0
        self.mount = pose_matrix(pose)
        # Image projection of camera coordinates (x forward, y right, z up): [u x, v x, x].
        self.project = np.array([[self.cx, self.focal, 0.0], [self.cy, 0.0, -self.focal], [1.0, 0.0, 0.0]])
        u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
        rays = np.stack([np.ones_like(u), (u - self.cx) / self.focal, -(v - self.cy) / self.focal], axis=-1)
        up_in_camera = self.mount[:3, :3].T @ np.array([0.0, 0.0, 1.0])
        # Ground plane (ego level) in camera coordinates: up . p = -height of the camera.
        inv_ground = rays @ up_in_camera / -pose.z
        self.sky = inv_ground <= 1.0 / FAR_M
        self.ground_depth = np.where(self.sky, FAR_M, 1.0 / np.maximum(inv_ground, 1.0 / FAR_M))
        ray_z = (rays / np.linalg.norm(rays, axis=-1, keepdims=True)) @ up_in_camera
        self.sky_height = np.clip(np.arcsin(np.clip(ray_z, -1, 1)) / (math.pi / 4), 0.0, 1.0)
        self._u, self._v = u.astype(np.float32), v.astype(np.float32)
        self._ground_coeffs = self._plane_coeffs(up_in_camera, np.float64(-pose.z)).tolist()
        # buffers reused every tick
        self._coefficients = tuple(np.empty((height, width), np.float32) for _ in range(3))
        self._index = np.empty((height, width), np.intp)
        self._classes = np.empty((height, width), np.uint8)
        # Low bits of the palette index: the ground's depth bin; sky pixels get SKY_CLASS << CLASS_SHIFT | height
        # level, and as SKY_CLASS has every class bit set, OR-ing any ground class leaves them sky.
        sky_level = np.round(self.sky_height * (DEPTH_BINS - 1)).astype(np.uint16) | np.uint16(SKY_CLASS << CLASS_SHIFT)
        depth_bin = np.clip(np.searchsorted(BIN_EDGES, self.ground_depth), 0, DEPTH_BINS - 1)
        self._low_bits = np.where(self.sky, sky_level, depth_bin).astype(np.uint16)
        self._palettes: dict[Look, np.ndarray] = {}
        self._zeros = np.zeros((height, width), np.uint8)
        self._opaque = np.full((height, width), 255, np.uint8)

    def _plane_coeffs(self, normal: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """(a, b, c) with inverse depth = a*u + b*v + c for planes normal . p = offset (camera frame);
        ``normal`` (3, ...) and ``offset`` (...) may hold many planes."""
        nx, ny, nz = normal
        a = ny / self.focal / offset
        b = -nz / self.focal / offset
        c = (nx - ny * self.cx / self.focal + nz * self.cy / self.focal) / offset
        return np.array([a, b, c])

    # ---- ground -------------------------------------------------------------------------------------------
    def _ground_classes(self, ctx: FrameContext, camera_from_world: np.ndarray) -> np.ndarray:
        """Ground class of every pixel (uint8 :class:`~lead_sim.sensors.tags.Ground`)."""
        raster = ctx.raster
        sensor_world = invert_rigid(camera_from_world)[:3, 3]
        ground_z = ctx.ego_matrix[2, 3]
        rows, cols = raster.classes.shape
        x, y = float(sensor_world[0]), float(sensor_world[1])
        c0, c1 = (int(min(max((x + side - raster.x0) / raster.resolution, 0), cols)) for side in (-CROP_M, CROP_M))
        r0, r1 = (int(min(max((y + side - raster.y0) / raster.resolution, 0), rows)) for side in (-CROP_M, CROP_M))
        if c1 <= c0 or r1 <= r0:
            return np.full((self.height, self.width), Ground.TERRAIN, np.uint8)
        res = raster.resolution
        cell_to_world = np.array(
            [[res, 0.0, raster.x0 + c0 * res], [0.0, res, raster.y0 + r0 * res], [0.0, 0.0, ground_z], [0.0, 0.0, 1.0]]
        )
        homography = self.project @ camera_from_world[:3, :] @ cell_to_world
        return cv2.warpPerspective(
            raster.classes[r0:r1, c0:c1], homography, (self.width, self.height), dst=self._classes,
            flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=int(Ground.TERRAIN),
        )

    def _palette(self, look: Look) -> np.ndarray:
        """Per weather: uint32 BGRA colours indexed by ``ground class << CLASS_SHIFT | depth bin`` (sky: class 15)."""
        if look not in self._palettes:  # looks are hashed by identity and cached per weather
            ground = look.ground_bgr[:SKY_CLASS].astype(np.float64)
            colours = np.zeros((16, DEPTH_BINS, 3))
            colours[:SKY_CLASS] = look.shade(ground[:, None, :], np.broadcast_to(BIN_DEPTHS, (SKY_CLASS, DEPTH_BINS)))
            level = np.arange(DEPTH_BINS)[:, None] / (DEPTH_BINS - 1)
            colours[SKY_CLASS] = look.sky_horizon * (1 - level) + look.sky_top * level
            bgra = np.concatenate([colours, np.full((16, DEPTH_BINS, 1), 255.0)], axis=-1)
            self._palettes[look] = np.ascontiguousarray(np.round(bgra).astype(np.uint8).reshape(-1, 4)).view(np.uint32)[:, 0]
        return self._palettes[look]

    # ---- boxes --------------------------------------------------------------------------------------------
    def _visible_faces(self, ctx: FrameContext, camera_from_world: np.ndarray) -> Faces:
        """Faces that face the camera, far to near (by box distance; a box's faces in ``FACES`` order)."""
        solids = ctx.solids
        if not len(solids):
            return NO_FACES
        rot, trans = camera_from_world[:3, :3], camera_from_world[:3, 3]
        corners = ctx.solid_corners @ rot.T + trans  # (M, 8, 3)
        centers = solids.center @ rot.T + trans
        distance = np.linalg.norm(centers, axis=1)
        x = corners[..., 0]
        ahead = x > NEAR_M
        safe_x = np.where(ahead, x, 1.0)
        u = self.cx + self.focal * corners[..., 1] / safe_x
        v = self.cy - self.focal * corners[..., 2] / safe_x
        all_ahead = ahead.all(axis=1)
        outside = all_ahead & (((u < 0).all(1)) | ((u >= self.width).all(1)) | ((v < 0).all(1)) | ((v >= self.height).all(1)))
        keep = np.flatnonzero(ahead.any(axis=1) & ~outside & (distance < MAX_BOX_DISTANCE_M))
        keep = keep[np.argsort(-distance[keep])]
        axes = np.einsum("ij,mjk->mki", rot, solids.rotation[keep])  # (K, 3, 3) camera-frame box axes
        normals = axes[:, FACE_AXIS] * FACE_SIGN[None, :, None]  # (K, 6, 3)
        face_corners = corners[keep][:, FACES]  # (K, 6, 4, 3)
        face_centers = face_corners.mean(axis=2)
        facing = np.einsum("kfj,kfj->kf", normals, face_centers) < 0.0
        box, face = np.nonzero(facing)
        polygons = face_corners[box, face]  # (F, 4, 3)
        whole = ahead[keep][:, FACES].all(axis=2)[box, face]
        pixels: list[np.ndarray] = [np.empty(0)] * len(box)
        for i, pts in zip(np.flatnonzero(whole), self._project(polygons[whole])):
            pixels[i] = pts
        anchor = polygons[:, 0].copy()
        usable = np.ones(len(box), bool)
        for i in np.flatnonzero(~whole):  # faces crossing the near plane: clip, or drop what is left of them
            clipped = _clip_near(polygons[i])
            if len(clipped) < 3:
                usable[i] = False
                continue
            pixels[i], anchor[i] = self._project(clipped[None])[0], clipped[0]
        if not usable.all():
            pixels = [pts for pts, ok in zip(pixels, usable) if ok]
            box, face, polygons, anchor = box[usable], face[usable], polygons[usable], anchor[usable]
        face_distance = np.linalg.norm(polygons.mean(axis=1), axis=1)
        return Faces(keep[box], face, pixels, anchor, face_distance)

    def _project(self, polygons: np.ndarray) -> np.ndarray:
        """Fixed-point image coordinates (..., K, 2) int32 of camera-frame vertices (..., K, 3) ahead of the camera."""
        uv = np.empty(polygons.shape[:-1] + (2,))
        uv[..., 0] = self.cx + self.focal * polygons[..., 1] / polygons[..., 0]
        uv[..., 1] = self.cy - self.focal * polygons[..., 2] / polygons[..., 0]
        return np.round(uv * (1 << SHIFT)).astype(np.int32)

    # ---- render -------------------------------------------------------------------------------------------
    def render(self, ctx: FrameContext, look: Look, products: frozenset[str]) -> CameraImages:
        if not products <= PRODUCTS:
            raise ValueError(f"unknown camera products {sorted(products - PRODUCTS)}; known: {sorted(PRODUCTS)}")
        camera_from_world = invert_rigid(ctx.ego_matrix @ self.mount)
        classes = self._ground_classes(ctx, camera_from_world)
        faces = self._visible_faces(ctx, camera_from_world)
        out = CameraImages()
        if "rgb" in products:
            out.rgb = self._rgb(classes, faces, ctx, look)
        if "semantic" in products:
            out.semantic = self._semantic(classes, faces, ctx)
        if "ids" in products:
            ids = np.zeros((self.height, self.width), np.uint16)
            for k, pts in enumerate(faces.pixels):
                cv2.fillConvexPoly(ids, pts, k + 1, cv2.LINE_8, SHIFT)
            out.face_ids, out.face_solid = ids, faces.solid
        if "depth" in products:
            out.depth = encode_inverse_depth(self._inverse_depth(faces, camera_from_world, ctx))
        return out

    def _rgb(self, classes: np.ndarray, faces: Faces, ctx: FrameContext, look: Look) -> np.ndarray:
        index = self._index
        np.copyto(index, classes)
        np.left_shift(index, CLASS_SHIFT, out=index)
        np.bitwise_or(index, self._low_bits, out=index)
        image = self._palette(look).take(index).view(np.uint8).reshape(self.height, self.width, 4)
        if len(faces):
            world_normals = self._face_normals(faces, ctx)
            sun = look.ambient + (1.0 - look.ambient) * np.maximum(world_normals @ look.sun_direction, 0.0)
            bgr = look.shade(ctx.solids.bgr[faces.solid].astype(np.float64), faces.distance, sun)
            for colour, pts in zip(bgr.tolist(), faces.pixels):
                cv2.fillConvexPoly(image, pts, (*colour, 255.0), cv2.LINE_8, SHIFT)
        return image

    def _semantic(self, classes: np.ndarray, faces: Faces, ctx: FrameContext) -> np.ndarray:
        """CARLA tags in the red channel of a BGRA image."""
        tags = cv2.LUT(classes, GROUND_TO_TAG)
        np.copyto(tags, np.uint8(CarlaTag.SKY), where=self.sky)
        for tag, pts in zip(ctx.solids.tag[faces.solid].tolist(), faces.pixels):
            cv2.fillConvexPoly(tags, pts, tag, cv2.LINE_8, SHIFT)
        return cv2.merge([self._zeros, self._zeros, tags, self._opaque])

    @staticmethod
    def _face_normals(faces: Faces, ctx: FrameContext) -> np.ndarray:
        """(F, 3) outward world normals of the faces."""
        return ctx.solids.rotation[faces.solid, :, FACE_AXIS[faces.face]] * FACE_SIGN[faces.face][:, None]

    def _inverse_depth(self, faces: Faces, camera_from_world: np.ndarray, ctx: FrameContext) -> np.ndarray:
        """(H, W) float32 inverse depth (1/m) of each pixel's plane, the ground's or a face's: it is affine in the
        pixel coordinates, ``a u + b v + c``, so each face paints its three coefficients and one pass combines
        them. The sky is where the ground's inverse depth is at most 1 / FAR_M. The result is a buffer of the
        view that the next call overwrites."""
        a, b, c = self._coefficients
        for image, value in zip((a, b, c), self._ground_coeffs):
            image.fill(value)
        if len(faces):
            normals = self._face_normals(faces, ctx) @ camera_from_world[:3, :3].T
            offsets = np.einsum("fj,fj->f", normals, faces.anchor)
            for (ka, kb, kc), pts in zip(self._plane_coeffs(normals.T, offsets).T.tolist(), faces.pixels):
                cv2.fillConvexPoly(a, pts, ka, cv2.LINE_8, SHIFT)
                cv2.fillConvexPoly(b, pts, kb, cv2.LINE_8, SHIFT)
                cv2.fillConvexPoly(c, pts, kc, cv2.LINE_8, SHIFT)
        cv2.accumulateProduct(a, self._u, c)
        cv2.accumulateProduct(b, self._v, c)
        return c


DEPTH_CODES = 256**3 - 1  # CARLA's 24-bit depth: code / DEPTH_CODES * FAR_M metres


def encode_depth(depth_m: np.ndarray) -> np.ndarray:
    """CARLA's depth encoding: normalized = (R + G*256 + B*256^2) / (256^3 - 1), depth = 1000 m * normalized."""
    return _pack_depth_codes(np.round(np.clip(depth_m / FAR_M, 0.0, 1.0) * DEPTH_CODES).astype(np.uint32))


def encode_inverse_depth(inverse: np.ndarray) -> np.ndarray:
    """CARLA's depth encoding of float32 inverse depths (1/m, overwritten); those at most 1 / FAR_M (the sky) get
    the far plane."""
    np.multiply(inverse, np.float32(FAR_M), out=inverse)
    np.maximum(inverse, np.float32(1.0), out=inverse)
    np.divide(np.float32(DEPTH_CODES), inverse, out=inverse)
    return _pack_depth_codes(np.rint(inverse, out=inverse).astype(np.uint32))


def _pack_depth_codes(codes: np.ndarray) -> np.ndarray:
    """(..., 4) uint8 BGRA of uint32 24-bit ``codes`` (overwritten): B the high byte, G the middle, R the low
    one, A 255."""
    np.left_shift(codes, np.uint32(8), out=codes)
    np.bitwise_or(codes, np.uint32(0xFF), out=codes)
    codes.byteswap(inplace=True)  # memory order B, G, R, A
    return codes.view(np.uint8).reshape(codes.shape + (4,))


def decode_depth(bgra: np.ndarray) -> np.ndarray:
    """Metres from a CARLA depth image (BGRA)."""
    image = bgra.astype(np.float64)
    normalized = (image[..., 2] + image[..., 1] * 256.0 + image[..., 0] * 256.0**2) / (256.0**3 - 1)
    return normalized * FAR_M
