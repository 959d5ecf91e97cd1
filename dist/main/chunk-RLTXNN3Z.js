import{createRequire as __cgRequire}from'node:module';const require=__cgRequire(import.meta.url);
import{b as r,d as i}from"./chunk-35ZQ2IDN.js";var o=i((p,e)=>{e.exports=r("node:crypto")});export{o as a};
