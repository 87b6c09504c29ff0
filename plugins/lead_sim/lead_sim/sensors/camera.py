"""Pinhole cameras rendered on the CPU: RGB, semantic and depth images in CARLA's BGRA layouts.

The ground is one ``cv2.warpPerspective`` of the town's ground raster (a homography maps the flat ground
plane at the ego's height into the image) followed by colour look-ups; boxes are painted far to near with
back faces culled, one flat-shaded polygon per visible face (clipped at the near plane). Cameras sharing a
pose and intrinsics share one :class:`CameraView`, so label cameras cost little on top of the RGB camera.

Depth is exact per pixel for planes: the inverse depth of a plane is affine in the pixel coordinates, so a
face-id image plus three coefficients per face give the depth of every pixel.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import attrs
import cv2
import numpy as np

from lead_framework.sensors import Pose
from lead_sim.sensors.frame import FrameContext
from lead_sim.sensors.tags import GROUND_TO_TAG, CarlaTag, Ground
from lead_sim.sensors.transforms import invert_rigid, pose_matrix
from lead_sim.sensors.world_raster import CLASS_SHIFT
from lead_sim.sensors.weather import Look

NEAR_M = 0.05
FAR_M = 1000.0  # CARLA's depth camera range
CROP_M = 150.0  # ground raster taken around the camera
MAX_BOX_DISTANCE_M = 150.0
SHIFT = 4  # fixed-point bits for polygon vertices
#: Faces of a box as corner indices (see Solids.corners) with their outward axis and sign.
FACES = np.array([[4, 6, 7, 5], [0, 2, 3, 1], [2, 6, 7, 3], [0, 4, 5, 1], [1, 5, 7, 3], [0, 4, 6, 2]])
FACE_AXIS = np.array([0, 0, 1, 1, 2, 2])
FACE_SIGN = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
#: Shifted ground class -> CARLA tag.
_SHIFTED_TO_TAG = np.repeat(GROUND_TO_TAG[:16], 1 << CLASS_SHIFT)
#: RGB ground colours are looked up by (ground class, depth bin): bins grow geometrically from 2 m.
DEPTH_BINS = 1 << CLASS_SHIFT
BIN_EDGES = np.geomspace(2.0, 400.0, DEPTH_BINS - 1)
BIN_DEPTHS = np.concatenate([[1.5], np.sqrt(BIN_EDGES[:-1] * BIN_EDGES[1:]), [600.0]])
SKY_CLASS = 15
PRODUCTS = frozenset({"rgb", "semantic", "depth", "ids"})


class Face(NamedTuple):
    """A box face seen by a camera: its solid, face index, camera-frame polygon and centre distance."""

    solid: int
    face: int
    polygon: np.ndarray
    distance: float


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
        self.u, self.v = u, v
        self.ground_depth_image = encode_depth(self.ground_depth)
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
        """Ground class of every pixel, shifted (``class << CLASS_SHIFT``, uint16)."""
        raster = ctx.raster
        sensor_world = invert_rigid(camera_from_world)[:3, 3]
        ground_z = ctx.ego_matrix[2, 3]
        rows, cols = raster.classes.shape
        c0 = int(np.clip((sensor_world[0] - CROP_M - raster.x0) / raster.resolution, 0, cols))
        c1 = int(np.clip((sensor_world[0] + CROP_M - raster.x0) / raster.resolution, 0, cols))
        r0 = int(np.clip((sensor_world[1] - CROP_M - raster.y0) / raster.resolution, 0, rows))
        r1 = int(np.clip((sensor_world[1] + CROP_M - raster.y0) / raster.resolution, 0, rows))
        if c1 <= c0 or r1 <= r0:
            return np.full((self.height, self.width), Ground.TERRAIN << CLASS_SHIFT, np.uint16)
        res = raster.resolution
        cell_to_world = np.array(
            [[res, 0.0, raster.x0 + c0 * res], [0.0, res, raster.y0 + r0 * res], [0.0, 0.0, ground_z], [0.0, 0.0, 1.0]]
        )
        homography = self.project @ camera_from_world[:3, :] @ cell_to_world
        return cv2.warpPerspective(
            raster.classes_shifted[r0:r1, c0:c1], homography, (self.width, self.height), flags=cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT, borderValue=int(Ground.TERRAIN) << CLASS_SHIFT,
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
    def _visible_faces(self, ctx: FrameContext, camera_from_world: np.ndarray) -> list[Face]:
        """Faces that face the camera, far to near."""
        solids = ctx.solids
        if not len(solids):
            return []
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
        face_depth = np.linalg.norm(face_centers, axis=2)
        face_ahead = ahead[keep][:, FACES].all(axis=2)
        faces = []
        for k, f in zip(*np.nonzero(facing)):
            polygon = face_corners[k, f]
            if not face_ahead[k, f]:
                polygon = _clip_near(polygon)
                if len(polygon) < 3:
                    continue
            faces.append(Face(int(keep[k]), int(f), polygon, float(face_depth[k, f])))
        return faces

    def _pixels(self, faces: list[Face]) -> list[np.ndarray]:
        """Fixed-point image polygons of the faces (projected in one go)."""
        if not faces:
            return []
        vertices = np.concatenate([face.polygon for face in faces])
        uv = np.empty((len(vertices), 2))
        uv[:, 0] = self.cx + self.focal * vertices[:, 1] / vertices[:, 0]
        uv[:, 1] = self.cy - self.focal * vertices[:, 2] / vertices[:, 0]
        fixed = np.round(uv * (1 << SHIFT)).astype(np.int32)
        return np.split(fixed, np.cumsum([len(face.polygon) for face in faces])[:-1])

    # ---- render -------------------------------------------------------------------------------------------
    def render(self, ctx: FrameContext, look: Look, products: frozenset[str]) -> CameraImages:
        if not products <= PRODUCTS:
            raise ValueError(f"unknown camera products {sorted(products - PRODUCTS)}; known: {sorted(PRODUCTS)}")
        camera_from_world = invert_rigid(ctx.ego_matrix @ self.mount)
        ground = self._ground_classes(ctx, camera_from_world)
        faces = self._visible_faces(ctx, camera_from_world)
        polygons = self._pixels(faces)
        out = CameraImages()
        solids = ctx.solids
        if "rgb" in products:
            out.rgb = self._rgb(ground, faces, polygons, ctx, look)
        if "semantic" in products:
            tags = np.take(_SHIFTED_TO_TAG, ground)
            np.copyto(tags, np.uint8(CarlaTag.SKY), where=self.sky)
            for face, pts in zip(faces, polygons):
                cv2.fillConvexPoly(tags, pts, int(solids.tag[face.solid]), cv2.LINE_8, SHIFT)
            out.semantic = cv2.merge([self._zeros, self._zeros, tags, self._opaque])
        if products & {"depth", "ids"}:
            ids = np.zeros((self.height, self.width), np.uint16)
            for k, pts in enumerate(polygons):
                cv2.fillConvexPoly(ids, pts, k + 1, cv2.LINE_8, SHIFT)
            out.face_ids = ids
            out.face_solid = np.array([face.solid for face in faces], dtype=np.int64)
            if "depth" in products:
                out.depth = self._depth_image(ids, faces, camera_from_world, ctx)
        return out

    def _rgb(self, ground: np.ndarray, faces: list[Face], polygons: list[np.ndarray], ctx: FrameContext, look: Look
             ) -> np.ndarray:
        palette = self._palette(look)
        index = cv2.bitwise_or(ground, self._low_bits)
        image = np.take(palette, index).view(np.uint8).reshape(self.height, self.width, 4)
        if faces:
            solids = ctx.solids
            solid = np.array([face.solid for face in faces])
            world_normals = self._face_normals(faces, ctx)
            sun = look.ambient + (1.0 - look.ambient) * np.maximum(world_normals @ look.sun_direction, 0.0)
            depth = np.array([face.distance for face in faces])
            bgr = look.shade(solids.bgr[solid].astype(np.float64), depth, sun)
            for colour, pts in zip(bgr.tolist(), polygons):
                cv2.fillConvexPoly(image, pts, (*colour, 255.0), cv2.LINE_8, SHIFT)
        return image

    @staticmethod
    def _face_normals(faces: list[Face], ctx: FrameContext) -> np.ndarray:
        """(F, 3) outward world normals of the faces."""
        solid = np.array([face.solid for face in faces])
        which = np.array([face.face for face in faces])
        return ctx.solids.rotation[solid, :, FACE_AXIS[which]] * FACE_SIGN[which][:, None]

    def _depth_image(self, ids: np.ndarray, faces: list[Face], camera_from_world: np.ndarray, ctx: FrameContext
                     ) -> np.ndarray:
        """CARLA depth image: the constant ground/sky depth with each face's exact plane depth on top."""
        image = self.ground_depth_image.copy()
        on_face = ids > 0
        if not faces or not on_face.any():
            return image
        coeffs = np.zeros((len(faces) + 1, 3))  # row k: face k (ids start at 1)
        normals = self._face_normals(faces, ctx) @ camera_from_world[:3, :3].T
        offsets = np.einsum("fj,fj->f", normals, np.array([face.polygon[0] for face in faces]))
        coeffs[1:] = self._plane_coeffs(normals.T, offsets).T
        face = ids[on_face]
        inverse = coeffs[face, 0] * self.u[on_face] + coeffs[face, 1] * self.v[on_face] + coeffs[face, 2]
        depth = np.where(inverse > 1.0 / FAR_M, 1.0 / np.maximum(inverse, 1.0 / FAR_M), FAR_M)
        image[on_face] = encode_depth(depth)
        return image


def encode_depth(depth_m: np.ndarray) -> np.ndarray:
    """CARLA's depth encoding: normalized = (R + G*256 + B*256^2) / (256^3 - 1), depth = 1000 m * normalized."""
    value = np.round(np.clip(depth_m / FAR_M, 0.0, 1.0) * (256**3 - 1)).astype(np.uint32)
    out = np.empty(depth_m.shape + (4,), np.uint8)
    out[..., 2] = value & 0xFF
    out[..., 1] = (value >> 8) & 0xFF
    out[..., 0] = (value >> 16) & 0xFF
    out[..., 3] = 255
    return out


def decode_depth(bgra: np.ndarray) -> np.ndarray:
    """Metres from a CARLA depth image (BGRA)."""
    image = bgra.astype(np.float64)
    normalized = (image[..., 2] + image[..., 1] * 256.0 + image[..., 0] * 256.0**2) / (256.0**3 - 1)
    return normalized * FAR_M
