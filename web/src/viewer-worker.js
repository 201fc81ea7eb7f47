// The preview's drawing, off the page's main thread: the STL file is read and parsed here
// and the scene drawn on the page's canvas (an OffscreenCanvas), so a large part drawn in
// software never holds up the page (its upload, its price). The page keeps the camera,
// turned by OrbitControls, and sends it here whenever it moves.
import {
  AmbientLight,
  BufferGeometry,
  Color,
  DirectionalLight,
  Float32BufferAttribute,
  LineBasicMaterial,
  LineSegments,
  Mesh,
  MeshLambertMaterial,
  PerspectiveCamera,
  Scene,
  Vector3,
  WebGLRenderer,
} from "three";
import { STLLoader } from "three/addons/loaders/STLLoader.js";

const GRID_MM = 10;
let renderer = null;
const scene = new Scene();
const camera = new PerspectiveCamera(40, 1, 0.1, 100000);
let part = null;
let grid = null;
let frame = 0;
let cameraSet = false; // a part is drawn once the page has placed the camera for it

scene.background = new Color(0xf4f6f8);
scene.add(new AmbientLight(0xffffff, 1.2));
const light = new DirectionalLight(0xffffff, 2.2);
light.position.set(1, 2, 1.5);
scene.add(light);

/** Lines every 10 mm over a `width` × `depth` plate centred on the origin, at height 0. */
function plateGrid(width, depth) {
  const points = [];
  for (let x = -width / 2; x <= width / 2 + 1e-6; x += GRID_MM) points.push(x, 0, -depth / 2, x, 0, depth / 2);
  for (let z = -depth / 2; z <= depth / 2 + 1e-6; z += GRID_MM) points.push(-width / 2, 0, z, width / 2, 0, z);
  const geometry = new BufferGeometry();
  geometry.setAttribute("position", new Float32BufferAttribute(points, 3));
  return new LineSegments(geometry, new LineBasicMaterial({ color: 0x9aa5b1 }));
}

/** The part lying on the plate: STL's Z up becomes three's Y up, centred, its base at 0. */
function partMesh(buffer) {
  const geometry = new STLLoader().parse(buffer);
  geometry.rotateX(-Math.PI / 2);
  geometry.computeBoundingBox();
  const centre = geometry.boundingBox.getCenter(new Vector3());
  geometry.translate(-centre.x, -geometry.boundingBox.min.y, -centre.z);
  geometry.computeBoundingSphere();
  return new Mesh(geometry, new MeshLambertMaterial({ color: 0x2f6db5 }));
}

function dispose(object) {
  if (!object) return;
  scene.remove(object);
  object.geometry.dispose();
  object.material.dispose();
}

/** Draw at the next frame: changes in a burst (a drag) cost one drawing. */
function draw() {
  if (frame || !part || !cameraSet) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    renderer.render(scene, camera);
    postMessage({ type: "drawn" });
  });
}

const handlers = {
  init({ canvas }) {
    // preserveDrawingBuffer: the drawn picture stays on screen as it is, to be read.
    renderer = new WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  },
  async show({ file, plate, id }) {
    const buffer = await file.arrayBuffer();
    cameraSet = false;
    dispose(part);
    part = partMesh(buffer);
    scene.add(part);
    handlers.plate({ plate });
    const { center, radius } = part.geometry.boundingSphere;
    postMessage({ type: "shown", id, center: center.toArray(), radius, triangles: part.geometry.attributes.position.count / 3 });
  },
  plate({ plate }) {
    dispose(grid);
    grid = plateGrid(plate[0], plate[1]);
    scene.add(grid);
    draw();
  },
  size({ width, height, pixelRatio }) {
    renderer.setPixelRatio(pixelRatio);
    renderer.setSize(width, height, false);
    draw();
  },
  camera({ position, quaternion, aspect, near, far }) {
    camera.position.fromArray(position);
    camera.quaternion.fromArray(quaternion);
    Object.assign(camera, { aspect, near, far });
    camera.updateProjectionMatrix();
    cameraSet = true;
    draw();
  },
  clear() {
    dispose(part);
    dispose(grid);
    part = grid = null;
  },
};

onmessage = (event) => {
  Promise.resolve(event.data)
    .then((message) => handlers[message.type](message))
    .catch((error) => postMessage({ type: "failed", id: event.data.id, message: String(error) }));
};
