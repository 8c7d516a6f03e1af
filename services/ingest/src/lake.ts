export { lakePlugin, type LakePluginOptions } from '@peak/lake';
