'use strict';
/** Public surface of the parity runner library. */
module.exports = {
  ...require('./tf'),
  ...require('./case'),
  ...require('./compare'),
  ...require('./run'),
  ...require('./report'),
};
